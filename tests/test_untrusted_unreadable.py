"""One item of hub data this version cannot read (a field missing or of another type, from a hub
of another version or a broken one) is shown as unreadable, with why, in its place; the rest of
its screen works, and a learner's sync files what came before it.

The tolerance lives where an answer is read: hub.protocol reads each item of an answer's list on
its own (`Item`), so HubClient hands the apps typed models and `Unreadable` markers, never a
dictionary. A real hub validates what it sends, so these tests answer through the real client
with a stand-in, over httpx's MockTransport, that sends what a broken hub could."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from textual.widgets import DataTable

from apilab.hubclient import HubClient
from apilab.settings import HubLogin
from apilab.sync import FEEDBACK_CURSOR, sync
from hub.protocol import SubmissionPage, SubmissionSummary, Unreadable
from tests.helpers import make_report, settle
from tui.mentor_app import MentorApp
from tui.screens.mentor_cohort import CohortScreen
from tui.screens.mentor_queue import QueueScreen
from tui.screens.mentor_submission import SubmissionScreen
from tui.widgets.mentor_cohort_table import CheckRates
from tui.widgets.report_view import ReportView

SIZE = (110, 34)
URL = "https://hub.example.org"


def summary(sid: str, learner: str) -> dict[str, Any]:
    report = make_report()
    return {"id": sid, "url": f"/v1/submissions/{sid}", "learner": learner,
            "exercise": "hello-api", "exercise_id": report.exercise_id, "kind": "submit",
            "status": report.status, "score": report.score, "max_score": report.max_score,
            "effective_score": report.score, "created_at": "2025-03-14T09:30:00+00:00",
            "review_state": "awaiting", "review": None}


def feedback(seq: int, submission_id: str, body: str) -> dict[str, Any]:
    return {"id": f"f-{seq}", "seq": seq, "url": f"/v1/feedback/f-{seq}",
            "submission_id": submission_id, "exercise": "hello-api", "learner": "ada",
            "author": "max", "kind": "note", "check_id": None, "body": body, "verdict": None,
            "score_override": None, "reason": None, "created_at": "2025-03-14T10:00:00+00:00"}


class BrokenHub:
    """Answers like a hub of another version: four submissions, s-2 without a learner or a
    date; s-3's report is not a report; s-4's own details lack its learner; each thread has a
    note that is not one; the cohort has a check that is not one."""

    def __init__(self, run_id: str = "s-1") -> None:
        broken = {k: v for k, v in summary("s-2", "?").items() if k not in ("learner", "created_at")}
        self.items = [summary("s-1", "ada"), broken, summary("s-3", "bob"), summary("s-4", "cy")]
        self.reports: dict[str, Any] = {sid: make_report().model_dump(mode="json", by_alias=True)
                                        for sid in ("s-1", "s-3", "s-4")}
        self.reports["s-3"]["checks"] = "none"
        self.thread = [feedback(1, run_id, "Looks fine"),
                       {"author": "max", "body": None, "created_at": 7},
                       feedback(3, run_id, "After the broken one")]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/me":
            return httpx.Response(200, json={"name": "mia", "role": "mentor"})
        if path == "/v1/submissions":
            return httpx.Response(200, json={"items": self.items, "next_cursor": None})
        if path in ("/v1/feedback", *(f"/v1/submissions/{sid}/feedback" for sid in self.reports)):
            return httpx.Response(200, json={"items": self.thread, "next_cursor": None})
        if found := re.fullmatch(r"/v1/submissions/(s-[0-9])", path):
            item = next(item for item in self.items if item["id"] == found[1])
            detail = {**item, "report": self.reports[found[1]]}
            if found[1] == "s-4":
                del detail["learner"]
            return httpx.Response(200, json=detail, headers={"ETag": f'"{found[1]}"'})
        if path.startswith("/v1/cohort/exercises/"):
            return httpx.Response(200, json={"exercise": "hello-api", "kind": None, "learners": 2,
                                             "checks": [
                {"id": "c-0", "title": "GET /health", "attempts": 2, "passed": 2, "pass_rate": 1.0},
                {"id": "c-1", "title": "broken", "pass_rate": "high"}],
                "most_failing": [{"id": "c-1", "title": "broken"},
                                 {"id": "c-0", "title": "GET /health", "failures": 1,
                                  "fail_rate": 0.5}]})
        return httpx.Response(404, json={"detail": "no such thing"})


def broken_hub(hub: BrokenHub | None = None) -> HubClient:
    return HubClient(URL, "a-token", transport=httpx.MockTransport(hub or BrokenHub()))


def cells(table: DataTable, row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def open_row(pilot, row: int) -> SubmissionScreen:
    """From the queue, open the submission on `row`; its screen, once loaded."""
    pilot.app.screen.query_one("#queue", DataTable).move_cursor(row=row)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SubmissionScreen)
    return screen


# --- reading: the protocol --------------------------------------------------------------------


def test_a_page_reads_each_item_on_its_own():
    items = [summary("s-1", "ada"), {**summary("s-2", "bob"), "score": "many"}, "not an item"]
    page = SubmissionPage.model_validate_json(json.dumps({"items": items, "next_cursor": "c"}))
    assert isinstance(page.items[0], SubmissionSummary) and page.items[0].learner == "ada"
    assert page.items[1] == Unreadable("score: Input should be a valid integer, unable to "
                                       "parse string as an integer")
    assert isinstance(page.items[2], Unreadable) and page.next_cursor == "c"


def test_why_an_item_is_unreadable_never_quotes_what_was_sent():
    item = {**summary("s-1", "ada"), "kind": "\x1b]0;OWNED\x1b\\", "score": "[/]"}
    page = SubmissionPage.model_validate({"items": [item], "next_cursor": None})
    unreadable = page.items[0]
    assert isinstance(unreadable, Unreadable) and unreadable.why.startswith("kind: ")
    assert "OWNED" not in unreadable.why and "[/]" not in unreadable.why


def test_an_envelope_that_cannot_be_read_is_still_refused_whole():
    with pytest.raises(ValidationError):
        SubmissionPage.model_validate({"items": "none", "next_cursor": None})


def test_the_hubs_schema_shows_the_items_model_and_it_never_sends_an_unreadable():
    schema = SubmissionPage.model_json_schema(mode="serialization")
    assert schema["properties"]["items"]["items"] == {"$ref": "#/$defs/SubmissionSummary"}
    page = SubmissionPage.model_validate({"items": [{"id": "s-1"}], "next_cursor": None})
    with pytest.raises(ValueError, match="an unreadable item cannot be sent"):
        page.model_dump_json()


# --- the mentor's app -------------------------------------------------------------------------


async def test_an_unreadable_submission_is_one_row_that_says_so(fixture_course):
    app = MentorApp(broken_hub(), fixture_course)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        table = queue.query_one("#queue", DataTable)
        assert [cells(table, row)[0] for row in range(4)] == ["ada", "unreadable", "bob", "cy"]
        assert cells(table, 0)[1] == "hello-api"
        assert "1 unreadable" in str(queue.query_one("#queue-status").render())

        table.move_cursor(row=1)
        await pilot.press("enter")
        assert app.screen is queue
        said = [n.message for n in app._notifications]
        assert any("could not be read" in m and "learner: Field required" in m for m in said)

        thread = (await open_row(pilot, 0)).query_one("#thread").source
        assert "Looks fine" in thread and "After the broken one" in thread
        assert "unreadable feedback item" in thread and "seq: Field required" in thread


@pytest.mark.parametrize(("row", "learner", "says", "key", "refusal"), [
    (2, "bob", ("report is unreadable", "checks: Input should be a valid list"), "f",
     "no readable report to comment on"),
    (3, "cy", ("submission is unreadable", "learner: Field required"), "a",  # heading: its row
     "submission is unreadable"),
], ids=["its report", "its details"])
async def test_what_cannot_be_read_of_a_submission_leaves_its_feedback_readable(
        row, learner, says, key, refusal, fixture_course):
    app = MentorApp(broken_hub(), fixture_course)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_row(pilot, row)
        assert screen.report is None
        assert learner in str(screen.query_one("#submission-heading").render())
        said = str(screen.query_one(ReportView).query_one("#report-summary").render())
        assert all(words in said for words in says)
        assert "Looks fine" in screen.query_one("#thread").source
        await pilot.press(key)  # a note needs a report, a review the details: said plainly
        assert app.screen is screen
        assert any(refusal in n.message for n in app._notifications)


async def test_an_unreadable_check_in_the_cohort_is_one_row(fixture_course):
    app = MentorApp(broken_hub(), fixture_course)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CohortScreen)
        table = screen.query_one(CheckRates)
        assert [cells(table, row)[2] for row in range(table.row_count)] == [
            "GET /health", "unreadable"]
        failing = str(screen.query_one("#cohort-failing").render())
        assert "unreadable" in failing and "GET /health" in failing


# --- the learner's sync -----------------------------------------------------------------------


def test_sync_files_the_feedback_before_an_unreadable_item_and_stops_there(store):
    run_id = store.record_run(make_report(), "submit")
    with broken_hub(BrokenHub(run_id)) as client:
        result = sync(store, HubLogin(URL, "a-token"), client=client)
    assert [item.body for item in store.feedback()] == ["Looks fine"]
    assert store.state(FEEDBACK_CURSOR) == "1"  # the unreadable one is asked for again
    assert result.problem is not None and "cannot read" in result.problem
    assert "update apilab" in result.problem
