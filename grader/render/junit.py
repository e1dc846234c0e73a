"""The report as JUnit XML, for CI systems: one testsuite, one testcase per check.

A failed check becomes `<failure>` whose text is the same explanation the terminal shows
(without colour); a report that graded nothing becomes one testcase with `<error>`. Each run
fixture is a testcase of its own, named `setup: ...` (a failed one is a `<failure>` of type
`setup`), and a check that never ran, because its setup failed or its stage was not reached (a
run by stages stops at the first stage with a failure), is `<skipped>`. Strings from the
learner's server pass through `apilab.untrusted.clean` first: ElementTree escapes markup but
not control characters, which XML 1.0 forbids outright.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.render.text import cleaned, explain, replay_command, summary
from grader.report import CheckResult, Report, SetupResult


def render_junit(report: Report) -> str:
    """A `<testsuites>` document holding one `<testsuite>` named after the exercise."""
    report = cleaned(report)
    root = ET.Element("testsuites", name="apilab")
    skipped = [check for check in report.checks if check.blocked_by]
    failures = len(report.failed) - len(skipped) + sum(not r.passed for r in report.setup)
    waiting = [] if report.status == "error" else report.not_run  # stages not reached
    not_reached = sum(len(stage.checks) for stage in waiting)
    suite = ET.SubElement(root, "testsuite", {
        "name": report.exercise,
        "tests": str(len(report.setup) + len(report.checks) + not_reached or 1),
        "failures": str(failures),
        "errors": "1" if report.status == "error" else "0",
        "skipped": str(len(skipped) + not_reached),
        "time": _seconds(report.duration_ms),
        "timestamp": report.started_at.isoformat(timespec="seconds"),
    })
    properties = ET.SubElement(suite, "properties")
    for name, value in [("url", report.url), ("seed", report.seed),
                        ("score", f"{report.score}/{report.max_score}"),
                        ("grader_version", report.grader_version),
                        ("hidden_included", str(report.hidden_included).lower()),
                        ("replay", replay_command(report))]:
        ET.SubElement(properties, "property", name=name, value=str(value))
    if report.time_limits is not None:
        for name, value in [("check_time_limit_s", report.time_limits.check_s),
                            ("run_time_limit_s", report.time_limits.run_s)]:
            ET.SubElement(properties, "property", name=name, value=f"{value:g}")
    for name in ("tests", "failures", "errors", "skipped"):
        root.set(name, suite.get(name, "0"))
    root.set("time", suite.get("time", "0"))

    if report.status == "error":
        case = ET.SubElement(suite, "testcase", classname=report.exercise,
                             name="server reachable", time=_seconds(report.duration_ms))
        error = ET.SubElement(case, "error", message=report.message, type="unreachable")
        error.text = f"{report.message}\n\n{summary(report)}"
    for result in report.setup:
        _setup_testcase(suite, report, result)
    for check in report.checks:
        _testcase(suite, report, check)
    for stage in waiting:
        number = report.stages.index(stage) + 1
        for check_id in stage.checks:
            case = ET.SubElement(suite, "testcase", classname=report.exercise, name=check_id, time="0.000")
            ET.SubElement(case, "skipped", message=f"stage {number}, {stage.title}, not run yet: an "
                          "earlier stage has a failure (apilab check --all runs every stage)")

    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, report: Report, check: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=report.exercise,
                         name=f"{check.title} ({check.id})", time=_seconds(check.duration_ms))
    if check.passed:
        return
    if check.blocked_by:
        ET.SubElement(case, "skipped", message=check.message)
        return
    failure = ET.SubElement(case, "failure", message=check.message or "failed",
                            type="hidden" if check.hidden else "check-failed")
    text = explain(check)  # hidden checks explain nothing beyond their message
    failure.text = "\n".join(text) + f"\n\nReplay this run: {replay_command(report)}\n"


def _setup_testcase(suite: ET.Element, report: Report, result: SetupResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=report.exercise,
                         name=f"setup: {result.title} ({result.name})",
                         time=_seconds(result.duration_ms))
    if not result.passed:
        failure = ET.SubElement(case, "failure", message=result.message or "failed", type="setup")
        failure.text = "\n".join(explain(result)) + f"\n\nReplay this run: {replay_command(report)}\n"


def _seconds(milliseconds: float) -> str:
    return f"{milliseconds / 1000:.3f}"
