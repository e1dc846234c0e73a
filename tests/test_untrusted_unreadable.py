"""One item of hub data the app cannot read (a field missing or of another type, from a hub of
another version or a hostile one) is shown as unreadable; the rest of its screen works.

A real hub validates what it stores, so these tests answer for it with a stand-in that sends
what a broken or hostile hub could."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from tests.helpers import make_report, settle
from tui.mentor_app import MentorApp
from tui.screens.mentor_cohort import CohortScreen
from tui.screens.mentor_queue import QueueScreen
from tui.screens.mentor_submission import SubmissionScreen
from tui.widgets.mentor_cohort_table import CheckRates
from tui.widgets.report_view import ReportView

SIZE = (110, 34)


def summary(sid: str, learner: str) -> dict[str, Any]:
    report = make_report()
    return {"id": sid, "learner": learner, "exercise": "hello-api", "kind": "submit",
            "status": report.status, "score": report.score, "max_score": report.max_score,
            "effective_score": report.score, "created_at": "2025-03-14T09:30:00+00:00",
            "review_state": "awaiting", "review": None,
            "report": report.model_dump(mode="json", by_alias=True)}


class BrokenHub:
    """Answers like HubClient: three submissions, the middle one without a learner or a date;
    bob's report is not a report; the cohort has one check that is not a check."""

    base_url = "https://hub.example.org"

    def __init__(self) -> None:
        broken = {k: v for k, v in summary("s-2", "?").items() if k not in ("learner", "created_at")}
        self.items = [summary("s-1", "ada"), broken, summary("s-3", "bob")]
        self.items[2]["report"] = {"schema": 1, "checks": "none"}

    def me(self) -> dict[str, str]:
        return {"name": "mia", "role": "mentor"}

    def submissions(self, **filters: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in item.items() if k != "report"} for item in self.items]

    def submission(self, sid: str) -> dict[str, Any]:
        return next(item for item in self.items if item["id"] == sid)

    def feedback_on(self, sid: str) -> list[dict[str, Any]]:
        return [{"author": "max", "created_at": "2025-03-14T10:00:00+00:00", "body": "Looks fine"},
                {"author": "max", "body": None, "created_at": 7}]

    def cohort_stats(self, exercise: str, kind: str | None = None) -> dict[str, Any]:
        return {"exercise": exercise, "learners": 2, "checks": [
            {"id": "c-0", "title": "GET /health", "attempts": 2, "passed": 2, "pass_rate": 1.0},
            {"id": "c-1", "title": "broken", "pass_rate": "high"}],
            "most_failing": [{"id": "c-1", "title": "broken"},
                             {"id": "c-0", "title": "GET /health", "failures": 1,
                              "fail_rate": 0.5}]}


def cells(table: DataTable, row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def test_an_unreadable_submission_is_one_row_that_says_so(fixture_course):
    app = MentorApp(BrokenHub(), fixture_course)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        table = queue.query_one("#queue", DataTable)
        assert [cells(table, row)[0] for row in range(3)] == ["ada", "unreadable", "bob"]
        assert cells(table, 0)[1] == "hello-api"

        table.move_cursor(row=1)
        await pilot.press("enter")
        assert app.screen is queue
        assert any("could not be read" in n.message for n in app._notifications)

        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SubmissionScreen)
        thread = app.screen.query_one("#thread").source
        assert "Looks fine" in thread and "unreadable feedback item" in thread


async def test_an_unreadable_report_leaves_its_feedback_readable(fixture_course):
    app = MentorApp(BrokenHub(), fixture_course)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#queue", DataTable).move_cursor(row=2)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SubmissionScreen) and screen.report is None
        assert "report is unreadable" in str(screen.query_one(ReportView).query_one(
            "#report-summary").render())
        assert "Looks fine" in screen.query_one("#thread").source
        await pilot.press("f")  # no report: nothing to comment on yet, said plainly
        assert app.screen is screen


async def test_an_unreadable_check_in_the_cohort_is_one_row(fixture_course):
    app = MentorApp(BrokenHub(), fixture_course)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CohortScreen)
        table = screen.query_one(CheckRates)
        assert [cells(table, row)[0] for row in range(table.row_count)] == [
            "GET /health", "unreadable"]
        failing = str(screen.query_one("#cohort-failing").render())
        assert "unreadable" in failing and "GET /health" in failing
