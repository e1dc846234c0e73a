"""The stages in a report (schema 3) stay readable both ways: older reports read as before, an
older apilab reads a newer report leniently; and comparing two runs tells a check not reached
from a check that disappeared."""

from __future__ import annotations

import json

from grader.report import SCHEMA_VERSION, Report, StageResult, read_report
from grader.report_diff import NOT_RUN, diff_reports
from tests.helpers import make_report


def staged(passed: tuple[bool, ...], ran: tuple[bool, ...]) -> Report:
    """A report of three one-check stages, the checks of stages not reached left out."""
    report = make_report(passed=passed)
    report.stages = [StageResult(id=f"s{n}", title=f"Stage {n}", checks=[f"check-{n}"], ran=r)
                     for n, r in enumerate(ran)]
    report.checks = [check for check, r in zip(report.checks, ran, strict=True) if r]
    return report


def test_a_report_of_schema_2_reads_without_stages():
    data = json.loads(make_report().to_json())
    data["schema"] = 2
    del data["stages"]
    report = read_report(json.dumps(data))
    assert report.stages == [] and report.not_run == [] and len(report.checks) == 3


def test_stages_round_trip_and_the_stages_not_reached_are_named():
    report = staged((True, False, True), ran=(True, True, False))
    again = read_report(report.to_json())
    assert again.schema_version == SCHEMA_VERSION == 3
    assert [stage.id for stage in again.not_run] == ["s2"]
    assert [check.id for check in again.checks] == ["check-0", "check-1"]


def test_a_newer_report_with_more_in_its_stages_is_read_leniently():
    data = json.loads(staged((True, True, True), ran=(True, True, True)).to_json())
    data["schema"] = SCHEMA_VERSION + 1
    data["stages"][0]["points"] = 7  # something a later version adds
    assert read_report(json.dumps(data)).stages[0].title == "Stage 0"


def test_a_check_in_a_stage_not_reached_is_not_run_rather_than_gone():
    older = staged((True, False, True), ran=(True, True, True))
    newer = staged((True, False, True), ran=(True, True, False))
    [change] = diff_reports(older, newer)
    assert (change.id, change.before, change.after, change.label) == ("check-2", "pass", NOT_RUN,
                                                                      "not run")
    [change] = diff_reports(newer, older)
    assert (change.id, change.before, change.after, change.label) == ("check-2", NOT_RUN, "pass",
                                                                      "reached")
