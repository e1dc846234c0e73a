"""The mentor's app against hostile submissions on a real hub: a learner's report, a learner's
name and another mentor's words reach the mentor's terminal as text, never as terminal control
sequences or markup, on every screen (queue, submission, feedback editor, review, cohort)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from textual.widgets import DataTable, Select

from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.store import HubStore
from tests.helpers import (
    HOSTILE,
    Hub,
    TerminalRecorder,
    assert_shown_as_inert_text,
    hostile_report,
    make_report,
    settle,
    terminal_controls,
    wait_for,
)
from tui.mentor_app import MentorApp
from tui.screens.mentor_cohort import CohortScreen
from tui.screens.mentor_editors import FeedbackEditor, ReviewModal
from tui.screens.mentor_queue import QueueScreen
from tui.screens.mentor_submission import SubmissionScreen
from tui.widgets.report_view import ReportView

SIZE = (130, 40)
SLUG = "reading-list[/]"  # one such submission used to crash the app at start, for every mentor
EVE = "eve[/]\x1b]0;OWNED\x1b\\"  # a hub operator can name a learner anything


@pytest.fixture(scope="module")
def hostile_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A hub where eve submitted reports with an attack in every string, and another mentor
    answered one with an attack in a note and in a review's reason; ada submitted a normal
    report."""
    db = tmp_path_factory.mktemp("hostile-hub") / "hub.db"
    tokens = {name: new_token() for name in (EVE, "ada", "mia", "max")}
    store = HubStore(db)
    for name, token in tokens.items():
        store.add_user(name, "mentor" if name in ("mia", "max") else "learner", hash_token(token))
    store.close()
    with hub_process(db) as url:
        hub = Hub(url, tokens)
        hostile_id = str(uuid.uuid4())
        with hub.client(EVE) as eve:
            eve.put_submission(hostile_id, hostile_report(SLUG).to_json(), "submit")
            # the cohort's numbers are per exercise, and the hub's path cannot hold SLUG's "/"
            eve.put_submission(str(uuid.uuid4()), hostile_report("hello-api").to_json(), "submit")
        with hub.client("ada") as ada:
            ada.put_submission(str(uuid.uuid4()), make_report("hello-api").to_json(), "submit")
        with hub.client("max") as other_mentor:
            check_id = hostile_report(SLUG).checks[2].id
            other_mentor.add_feedback(hostile_id, f"# Note\n\n{HOSTILE}\n\n[docs]({'https://evil.example'})",
                                      check_id=check_id)
            other_mentor.review(hostile_id, "changes_requested", 1, HOSTILE, body=HOSTILE)
        yield hub


async def test_every_mentor_screen_shows_hostile_text_as_inert_text(hostile_hub, fixture_course,
                                                                    markup_parsed):
    with hostile_hub.client("mia") as client:
        app = MentorApp(client, fixture_course)
        recorder = TerminalRecorder(app)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            queue = app.screen
            assert isinstance(queue, QueueScreen)
            queue.query_one("#filter-review", Select).value = Select.NULL
            await settle(pilot)
            learners = {row["learner"] for row in queue.submissions}
            assert learners == {EVE, "ada"}
            table = queue.query_one("#queue", DataTable)
            table.move_cursor(row=[row["exercise"] for row in queue.submissions].index(SLUG))
            await pilot.press("question_mark")  # the keys, over the queue
            await pilot.press("escape")

            await pilot.press("enter")
            await settle(pilot)
            submission = app.screen
            assert isinstance(submission, SubmissionScreen)
            rows = submission.query_one(ReportView).rows
            assert len(rows) == 3
            rows[1].query_one("CollapsibleTitle").focus()
            await pilot.press("y")  # copy curl: a notification shows it
            await pilot.pause()
            assert "curl -i" in app.clipboard and terminal_controls(app.clipboard) == []

            await pilot.press("f")
            editor = app.screen
            assert isinstance(editor, FeedbackEditor)
            editor.query_one("#feedback-target", Select).action_show_overlay()
            await pilot.pause()
            await pilot.press("escape", "escape")
            assert app.screen is submission

            await pilot.press("a")
            assert isinstance(app.screen, ReviewModal)
            await pilot.pause()
            await pilot.press("ctrl+s")  # approve: the notification names learner and exercise
            await settle(pilot)
            assert app.screen is submission
            await wait_for(pilot, lambda: submission.submission["review_state"] == "approved")

            await pilot.press("escape", "o")
            await settle(pilot)
            cohort = app.screen
            assert isinstance(cohort, CohortScreen)
            cohort.query_one("#cohort-exercise", Select).value = "hello-api"
            await settle(pilot)
            assert cohort.stats is not None and cohort.stats["exercise"] == "hello-api"
            assert any("OWNED" in check["title"] for check in cohort.stats["checks"])
            cohort.query_one("#cohort-exercise", Select).action_show_overlay()
            await pilot.pause()

    assert_shown_as_inert_text(recorder, markup_parsed, "mentor")


async def test_a_slug_with_markup_no_longer_crashes_the_queue(hostile_hub, fixture_course):
    with hostile_hub.client(EVE) as eve:  # awaiting review: in the queue the app opens on
        eve.put_submission(str(uuid.uuid4()), make_report(SLUG).to_json(), "submit")
    with hostile_hub.client("mia") as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            queue = app.screen
            assert isinstance(queue, QueueScreen) and queue.loaded
            table = queue.query_one("#queue", DataTable)
            assert table.row_count >= 2
            exercises = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
            assert SLUG in exercises and "hello-api" in exercises
