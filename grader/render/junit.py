"""The report as JUnit XML, for CI systems: one testsuite, one testcase per check.

A failed check becomes `<failure>` whose text is the same explanation the terminal shows
(without colour); a report that graded nothing becomes one testcase with `<error>`. Strings from
the learner's server pass through `apilab.untrusted.clean` first: ElementTree escapes markup but
not control characters, which XML 1.0 forbids outright.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.render.text import cleaned, explain, replay_command, summary
from grader.report import CheckResult, Report


def render_junit(report: Report) -> str:
    """A `<testsuites>` document holding one `<testsuite>` named after the exercise."""
    report = cleaned(report)
    root = ET.Element("testsuites", name="apilab")
    suite = ET.SubElement(root, "testsuite", {
        "name": report.exercise,
        "tests": str(len(report.checks) or 1),
        "failures": str(len(report.failed)),
        "errors": "1" if report.status == "error" else "0",
        "skipped": "0",
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
    for name in ("tests", "failures", "errors"):
        root.set(name, suite.get(name, "0"))
    root.set("time", suite.get("time", "0"))

    if report.status == "error":
        case = ET.SubElement(suite, "testcase", classname=report.exercise,
                             name="server reachable", time=_seconds(report.duration_ms))
        error = ET.SubElement(case, "error", message=report.message, type="unreachable")
        error.text = f"{report.message}\n\n{summary(report)}"
    for check in report.checks:
        _testcase(suite, report, check)

    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, report: Report, check: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=report.exercise,
                         name=f"{check.title} ({check.id})", time=_seconds(check.duration_ms))
    if check.passed:
        return
    failure = ET.SubElement(case, "failure", message=check.message or "failed",
                            type="hidden" if check.hidden else "check-failed")
    text = explain(check)  # hidden checks explain nothing beyond their message
    failure.text = "\n".join(text) + f"\n\nReplay this run: {replay_command(report)}\n"


def _seconds(milliseconds: float) -> str:
    return f"{milliseconds / 1000:.3f}"
