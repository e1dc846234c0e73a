"""The mentor's app against hostile submissions on a real hub: a learner's report, a learner's
name and another mentor's name and words reach the mentor's terminal as text, never as terminal
control sequences or markup, on every screen and in every state (the queue and its next page,
a submission, a report from a newer apilab, the feedback editor, a review, the question asked
when a review crossed another mentor's, the cohort)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from textual.widgets import DataTable, Select

from grader.report import SCHEMA_VERSION, Report
from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.protocol import SubmissionSummary
from hub.store import HubStore
from tests.helpers import (
    HOSTILE,
    MARKUP_ATTACKS,
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
from tui.screens.mentor_editors import ConfirmModal, FeedbackEditor, ReviewModal
from tui.screens.mentor_glance import GlanceScreen
from tui.screens.mentor_queue import QueueScreen
from tui.screens.mentor_submission import SubmissionScreen
from tui.widgets.report_view import ReportView

SIZE = (130, 40)
SLUG = "reading-list[/]"  # one such submission used to crash the app at start, for every mentor
EVE = "eve[/]\x1b]0;OWNED\x1b\\"  # a hub operator can name a learner anything
MAX = "max[bold]\x1b[2J"  # and a mentor
HOSTILE_ID = "0b5f2c1e-6f4d-4a8e-9c3b-7d1e2f3a4b5c"  # eve's SLUG submission, reviewed by MAX


def newer_schema(report: Report) -> str:
    """`report` as a newer apilab would write it: a higher schema, with fields this version does not
    know (hostile too), and check ids short enough for the hub's intake."""
    data = json.loads(report.to_json())
    data["schema"] = SCHEMA_VERSION + 1
    data["provenance"] = HOSTILE
    for index, check in enumerate(data["checks"]):
        check["id"] = f"check-{index}{MARKUP_ATTACKS['closing-tag']}"
        check["attachments"] = [HOSTILE]
    return json.dumps(data)


@pytest.fixture(scope="module")
def hostile_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A hub where eve's reports carry an attack in every string, another mentor (MAX) answered
    one with an attack in a note and in a review's reason, and ada submitted a normal report.

    Today's hub refuses a slug like SLUG and a check id as long as eve's at intake, but its
    database may hold what an older hub accepted, and a hub of another version may send
    anything: those submissions are written to its store as such a hub wrote them. eve's report
    from a newer apilab comes in through the hub's intake, like any upload."""
    db = tmp_path_factory.mktemp("hostile-hub") / "hub.db"
    tokens = {name: new_token() for name in (EVE, "ada", "mia", MAX)}
    store = HubStore(db)
    users = {name: store.add_user(name, "mentor" if name in ("mia", MAX) else "learner",
                                  hash_token(token)) for name, token in tokens.items()}
    _, hostile = store.put_submission(users[EVE], HOSTILE_ID, "submit", hostile_report(SLUG))
    assert hostile is not None  # a note on one of its checks, whose id is too long for today's
    store.add_feedback(hostile, users[MAX], f"# Note\n\n{HOSTILE}\n\n[docs](https://evil.example)",
                       check_id=hostile_report(SLUG).checks[2].id)
    # the cohort's numbers are per exercise, and the hub's path cannot hold SLUG's "/"
    for _ in range(3):  # the same check failing run after run: eve is stuck, at a glance
        store.put_submission(users[EVE], str(uuid.uuid4()), "submit", hostile_report("hello-api"))
    store.put_submission(users["ada"], str(uuid.uuid4()), "submit", make_report(SLUG))
    # today's hub takes only a challenge id and a category it can read; a hub of another
    # version may send anything
    store.put_capture(users[EVE], f"bola{MARKUP_ATTACKS['closing-tag']}", f"API1{HOSTILE}",
                      f"2026-12-02T12:00:00Z{HOSTILE}")
    store.close()
    with hub_process(db) as url:
        hub = Hub(url, tokens)
        with hub.client(EVE) as eve:
            newer = newer_schema(hostile_report("whoami"))
            assert eve.put_submission(str(uuid.uuid4()), newer, "submit")
        with hub.client("ada") as ada:
            ada.put_submission(str(uuid.uuid4()), make_report("hello-api").to_json(), "submit")
        with hub.client(MAX) as other_mentor:
            other_mentor.review(HOSTILE_ID, "changes_requested", 1, HOSTILE, body=HOSTILE)
        yield hub


def rows(queue: QueueScreen) -> list[tuple[str, str] | None]:
    """The (learner, exercise) of each row of the queue."""
    return [(item.learner, item.exercise) if isinstance(item, SubmissionSummary) else None
            for item in queue.submissions]


async def open_row(pilot, queue: QueueScreen, learner: str, exercise: str) -> SubmissionScreen:
    """From the queue, open `learner`'s submission of `exercise`, loading more pages until
    it is listed (back from a submission, the queue starts again at its first page)."""
    await settle(pilot)
    while (learner, exercise) not in rows(queue) and queue.next_cursor is not None:
        await pilot.press("m")
        await settle(pilot)
    queue.query_one("#queue", DataTable).move_cursor(row=rows(queue).index((learner, exercise)))
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SubmissionScreen)
    return screen


async def test_every_mentor_screen_shows_hostile_text_as_inert_text(
        hostile_hub, fixture_course, markup_parsed, monkeypatch):
    monkeypatch.setattr("tui.screens.mentor_queue.PAGE", 2)  # five rows: three pages
    with hostile_hub.client("mia") as client:
        app = MentorApp(client, fixture_course)
        recorder = TerminalRecorder(app)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            queue = app.screen
            assert isinstance(queue, QueueScreen)
            queue.query_one("#filter-review", Select).value = Select.NULL
            await settle(pilot)
            assert len(queue.submissions) == 2 and queue.next_cursor is not None
            while queue.next_cursor is not None:  # load more, page by page
                await pilot.press("m")
                await settle(pilot)
            assert set(rows(queue)) == {
                (EVE, SLUG), (EVE, "hello-api"), (EVE, "whoami"), ("ada", SLUG),
                ("ada", "hello-api")}
            assert queue.query_one("#queue", DataTable).row_count == 5
            await pilot.press("m")  # nothing more: it says so
            await pilot.press("question_mark")  # the keys, over the queue
            await pilot.press("escape")

            newer = await open_row(pilot, queue, EVE, "whoami")
            assert newer.report is not None and newer.report.from_newer_version
            assert "Written by a newer apilab" in str(newer.query_one("#submission-heading")
                                                      .render())
            await pilot.press("escape")
            await settle(pilot)

            submission = await open_row(pilot, queue, EVE, SLUG)
            assert "OWNED" in str(submission.query_one("#captures").render())
            checks = submission.query_one(ReportView).rows
            assert len(checks) == 3
            for check in checks:  # each check's details are drawn when it is opened
                check.collapsed = False
            await pilot.pause()
            submission.query_one(ReportView).select(checks[1].check_id)
            submission.query_one(ReportView).focus()
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

            with hostile_hub.client(MAX) as other_mentor:  # crosses mia's review
                other_mentor.review(HOSTILE_ID, "changes_requested", 2, HOSTILE, body=HOSTILE)
            await pilot.press("a")
            assert isinstance(app.screen, ReviewModal)
            await pilot.pause()
            await pilot.press("ctrl+s")
            await settle(pilot)
            question = app.screen
            assert isinstance(question, ConfirmModal)  # MAX's verdict and reason, quoted
            assert "OWNED" in str(question.query_one("#confirm-question").render())
            await pilot.press("y")  # replace it: the notification names learner and exercise
            await settle(pilot)
            assert app.screen is submission
            await wait_for(pilot, lambda: submission.submission.review_state == "approved")

            await pilot.press("escape", "o")
            await settle(pilot)
            cohort = app.screen
            assert isinstance(cohort, CohortScreen)
            cohort.query_one("#cohort-exercise", Select).value = "hello-api"
            await settle(pilot)
            assert cohort.stats is not None and cohort.stats.exercise == "hello-api"
            assert any("OWNED" in getattr(check, "title", "") for check in cohort.stats.checks)
            cohort.query_one("#cohort-exercise", Select).action_show_overlay()
            await pilot.pause()
            await pilot.press("escape", "escape")

            await pilot.press("g")
            await settle(pilot)
            glance = app.screen
            assert isinstance(glance, GlanceScreen) and glance.glance is not None
            [stuck] = glance.glance.stuck
            assert stuck.learner == EVE and "OWNED" in (stuck.check_title or "")

    assert_shown_as_inert_text(recorder, markup_parsed, "mentor")


async def test_a_slug_with_markup_no_longer_crashes_the_queue(hostile_hub, fixture_course):
    with hostile_hub.client("mia") as client:  # ada's SLUG awaits review: in the first queue
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            queue = app.screen
            assert isinstance(queue, QueueScreen) and queue.loaded
            table = queue.query_one("#queue", DataTable)
            assert table.row_count >= 2
            exercises = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
            assert SLUG in exercises and "hello-api" in exercises
