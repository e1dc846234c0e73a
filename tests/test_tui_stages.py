"""The app grades stage by stage too, and shows the stages as steps above the report:
✓ done, ▶ the current one, · later. A real server (the fixture course's starter) and the pilot."""

from __future__ import annotations

import shutil

import pytest

from apilab.catalog.loader import load_course
from apilab.views.stages import stage_steps
from grader.report import StageResult
from tests.helpers import FIXTURE_COURSE, HELLO_API_STAGES, make_report, open_exercise, run_checks
from tui.app import ApilabApp
from tui.widgets.report_view import ReportView
from tui.widgets.stage_steps import StageSteps


@pytest.fixture
def staged_course(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE_COURSE, root, ignore=shutil.ignore_patterns("__pycache__", "work"))
    with (root / "exercises" / "hello-api" / "exercise.toml").open("a") as file:
        file.write(HELLO_API_STAGES)
    return load_course(root)


async def test_the_exercise_screen_shows_where_the_learner_is(staged_course, store, hello_starter_url):
    app = ApilabApp(staged_course, store, server_url=hello_starter_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await run_checks(pilot, screen)
        steps = screen.query_one(StageSteps)
        assert steps.display
        assert str(steps.render()) == ("✓ 1 Answer the health check  ▶ 2 Create items  · 3 Unknown "
                                       "items  (1 check of later stages not run yet)")
        view = screen.query_one(ReportView)
        assert [(row.check_id, row.state) for row in view.rows] == [
            ("health-ok", "pass"), ("create-item", "fail")]
        assert (screen.report.score, screen.report.max_score) == (1, 5)
        assert "1 in later stages not run yet" in str(view.query_one("#report-summary").render())


def test_a_stage_that_passed_after_the_current_one_is_done():
    """In a run of every stage (--all, submit), a later stage that passed is ✓, not ·."""
    report = make_report(passed=(True, False, True))
    report.stages = [StageResult(id=f"s{n}", title=f"Stage {n}", checks=[f"check-{n}"])
                     for n in range(3)]
    assert stage_steps(report) == [("done", "Stage 0"), ("current", "Stage 1"), ("done", "Stage 2")]


async def test_a_report_without_stages_shows_no_steps(fixture_course, store, hello_starter_url):
    app = ApilabApp(fixture_course, store, server_url=hello_starter_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await run_checks(pilot, screen)
        assert not screen.query_one(StageSteps).display
