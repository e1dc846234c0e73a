"""`apilab check` grades stage by stage, as a learner meets the exercise: it stops at the first
stage with a failure and says which comes next; `--all` runs everything, `--only` one check, and
a submission runs every stage. Real servers (the fixture course's starter and solution)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from apilab.store import Store
from tests.helpers import HELLO_API_STAGES


@pytest.fixture
def staged(course_copy):
    """The fixture course with hello-api in three stages (the starter passes only the first)."""
    with (course_copy / "exercises" / "hello-api" / "exercise.toml").open("a") as file:
        file.write(HELLO_API_STAGES)
    return course_copy


def runs():
    with Store.open_default() as store:
        return store.runs("hello-api")


def test_check_stops_at_the_first_stage_with_a_failure_and_names_the_next(cli, staged,
                                                                           hello_starter_url):
    result = cli("check", "hello-api", "--url", hello_starter_url, "--seed", "3")
    assert result.exit_code == 1
    assert "Stage 2 of 3, Create items, has failures: fix them and check again to go on to stage " \
           "3, Unknown items. (apilab check hello-api --all runs every stage.)" in result.output
    assert "· Stage 3/3 · Unknown items (not run yet: 1 check)" in result.output
    assert "1 passed, 1 failed, 1 in later stages not run yet · 1/5 points" in result.output

    report = json.loads(cli("check", "hello-api", "--url", hello_starter_url, "--format",
                            "json").output)
    assert [(s["id"], s["ran"]) for s in report["stages"]] == [
        ("health", True), ("create", True), ("errors", False)]
    assert [c["id"] for c in report["checks"]] == ["health-ok", "create-item"]
    assert (report["score"], report["max_score"], report["status"]) == (1, 5, "fail")

    junit = ET.fromstring(cli("check", "hello-api", "--url", hello_starter_url, "--format",
                              "junit").output)
    suite = junit.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    skipped = suite.find("testcase[@name='missing-is-404']/skipped")
    assert skipped is not None and "stage 3, Unknown items, not run yet" in skipped.get("message")


def test_all_runs_every_stage(cli, staged, hello_starter_url):
    result = cli("check", "hello-api", "--url", hello_starter_url, "--all", "--format", "json")
    report = json.loads(result.output)
    assert [c["id"] for c in report["checks"]] == ["health-ok", "missing-is-404", "create-item"]
    assert all(stage["ran"] for stage in report["stages"])
    replay = cli("check", "hello-api", "--url", hello_starter_url, "--all", "--seed", "5").output
    assert f"apilab check hello-api --url {hello_starter_url} --seed 5 --all" in replay


def test_a_server_that_passes_every_stage_passes(cli, staged, hello_solution_url):
    result = cli("check", "hello-api", "--url", hello_solution_url)
    assert result.exit_code == 0, result.output
    assert "✓ Stage 3/3 · Unknown items" in result.output and "not run yet" not in result.output
    assert "✓ 1. " in cli("lessons").output


def test_only_runs_one_check_and_records_nothing(cli, staged, hello_starter_url):
    result = cli("check", "hello-api", "--url", hello_starter_url, "--only", "missing-is-404")
    assert result.exit_code == 0, result.output
    assert "1 passed, 0 failed · 1/1 points" in result.output
    assert "a run of one check is not recorded" in result.output
    assert runs() == []


def test_only_names_the_check_it_does_not_know(cli, staged):
    result = cli("check", "hello-api", "--only", "create-items")
    assert result.exit_code == 2 and "has no check 'create-items'; did you mean create-item?" \
        in result.output
    assert cli("check", "hello-api", "--all", "--only", "create-item").exit_code == 2


def test_submit_runs_every_stage(cli, staged, hello_starter_url):
    result = cli("submit", "hello-api", "--url", hello_starter_url, "--format", "json")
    report = json.loads(result.stdout)
    assert len(report["checks"]) == 3 and all(stage["ran"] for stage in report["stages"])
