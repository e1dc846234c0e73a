"""The mentor's app against a real hub (uvicorn on a loopback port): the queue and its filters,
a submission's report, feedback on a check, a review with an override, the cohort view, and
what the mentor sees when the hub is down or the token is refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from textual.widgets import DataTable, Input, Select, TextArea

from apilab.hubclient import HubClient
from apilab.ports import free_port
from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.store import HubStore
from tests.helpers import Hub, make_report, queue_rows, settle
from tui.mentor_app import MentorApp
from tui.screens.mentor_cohort import CohortScreen
from tui.screens.mentor_editors import (
    ConfirmModal,
    FeedbackEditor,
    ReviewDraft,
    ReviewModal,
    validate_review,
)
from tui.screens.mentor_queue import QueueScreen
from tui.screens.mentor_submission import SubmissionScreen
from tui.widgets.mentor_cohort_table import CheckRates
from tui.widgets.report_view import ReportView

SIZE = (130, 40)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A hub with learners ada, bob and cy and mentor mia; ada and bob have submitted:
    ada hello-api (fails check-2) and whoami (passes), bob hello-api (fails check-1 and 2).
    ada has captured two flags of the security lab, cy one."""
    db = tmp_path_factory.mktemp("mentor-hub") / "hub.db"
    tokens = {name: new_token() for name in ("ada", "bob", "cy", "mia", "gone")}
    store = HubStore(db)
    for name, token in tokens.items():
        store.add_user(name, "mentor" if name in ("mia", "gone") else "learner", hash_token(token))
    store.revoke("gone")
    store.close()
    with hub_process(db) as url:
        hub = Hub(url, tokens)
        submit(hub, "ada", make_report("hello-api", passed=(True, True, False)))
        submit(hub, "ada", make_report("whoami", passed=(True,), points=(2,)))
        submit(hub, "bob", make_report("hello-api", passed=(True, False, False)))
        with hub.client("ada") as ada:
            assert ada.put_capture("old-version", "API9", "2026-12-02T09:30:00+00:00")
            assert ada.put_capture("bola", "API1", "2026-12-02T10:15:00+00:00")
        with hub.client("cy") as cy:
            assert cy.put_capture("ssrf", "API7", "2026-12-02T11:00:00+00:00")
        yield hub


def submit(hub: Hub, learner: str, report) -> str:
    submission_id = str(uuid.uuid4())
    with hub.client(learner) as client:
        assert client.put_submission(submission_id, report.to_json(), "submit")
    return submission_id


async def test_the_queue_lists_what_awaits_review_and_the_filters_narrow_it(hub, fixture_course):
    with hub.client("mia") as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, QueueScreen)
            assert app.sub_title == "mia (mentor)"
            assert sorted(queue_rows(screen)) == [("ada", "hello-api"), ("ada", "whoami"),
                                                  ("bob", "hello-api")]
            assert "3 submissions awaiting review" in str(
                screen.query_one("#queue-status").render())

            await pilot.press("slash", *"whoami", "enter")
            await settle(pilot)
            assert queue_rows(screen) == [("ada", "whoami")]
            assert app.focused is screen.query_one("#queue", DataTable)

            screen.query_one("#filter-exercise", Input).value = ""
            await pilot.press("slash", "tab", *"bob", "enter")
            await settle(pilot)
            assert queue_rows(screen) == [("bob", "hello-api")]

            screen.query_one("#filter-learner", Input).value = ""
            screen.query_one("#filter-status", Select).value = "pass"
            await settle(pilot)
            assert queue_rows(screen) == [("ada", "whoami")]
            assert screen.filters == {"status": "pass", "review": "awaiting", "view": "latest"}

            screen.query_one("#filter-status", Select).value = "error"
            await settle(pilot)
            assert queue_rows(screen) == []
            assert "No submissions awaiting review for status=error" in str(
                screen.query_one("#queue-status").render())


async def test_opening_a_submission_shows_its_report_with_the_transcript(hub, fixture_course):
    with hub.client("mia") as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.screen.query_one("#filter-learner", Input).value = "bob"
            await pilot.press("slash", "tab", "enter")
            await settle(pilot)
            assert queue_rows(app.screen) == [("bob", "hello-api")]
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, SubmissionScreen)
            rows = screen.query_one(ReportView).rows
            assert [(r.check_id, r.state, r.collapsed) for r in rows] == [
                ("check-0", "pass", True), ("check-1", "fail", False), ("check-2", "fail", True)]
            detail = rows[1].detail.plain
            assert "GET http://127.0.0.1:8001/c1" in detail and "500 Internal Server Error" in detail
            assert "curl -i http://127.0.0.1:8001/c1" in detail
            heading = str(screen.query_one("#submission-heading").render())
            assert "bob · hello-api · submit · fail · score 1/3" in heading and "awaiting" in heading
            assert "No feedback yet" in screen.query_one("#thread").source
            assert "bob has captured no flag yet" in str(screen.query_one("#captures").render())
            await pilot.press("escape")
            assert isinstance(app.screen, QueueScreen)


async def test_a_submission_shows_the_lab_flags_its_learner_captured(hub, fixture_course, utc):
    with hub.client("mia") as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.screen.query_one("#filter-learner", Input).value = "ada"
            app.screen.query_one("#filter-exercise", Input).value = "whoami"
            await pilot.press("slash", "enter")
            await settle(pilot)
            assert queue_rows(app.screen) == [("ada", "whoami")]
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, SubmissionScreen)
            shown = str(app.screen.query_one("#captures").render())
            # ada's two, oldest first, with the challenge's task; not cy's
            assert shown.index("API9") < shown.index("API1") and "ssrf" not in shown
            assert "old-version" in shown and "2026-12-02 09:30" in shown
            assert "bola" in shown and "Read another customer's order" in shown


async def test_feedback_on_a_check_and_an_approval_with_an_override_reach_the_learner(
        hub, fixture_course):
    submission_id = submit(hub, "cy", make_report("hello-api", passed=(True, True, False)))
    with hub.client("mia") as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.screen.query_one("#filter-learner", Input).value = "cy"
            await pilot.press("slash", "tab", "enter")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, SubmissionScreen) and screen.submission_id == submission_id

            # c on the focused check opens the editor aimed at that check
            screen.query_one(ReportView).select("check-2")
            screen.query_one(ReportView).focus()
            await pilot.press("c")
            editor = app.screen
            assert isinstance(editor, FeedbackEditor)
            assert editor.query_one("#feedback-target", Select).value == "check-2"
            await pilot.press("ctrl+s")  # empty: refused in place
            assert app.screen is editor
            assert "Write something" in str(editor.query_one("#feedback-error").render())
            editor.query_one("#feedback-body", TextArea).text = "Return **201** with a Location."
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is screen
            assert "Return **201**" in screen.query_one("#thread").source

            # approve, overriding the score: the reason is required and asked for in place
            await pilot.press("a")
            review = app.screen
            assert isinstance(review, ReviewModal)
            await pilot.press("tab", "2", "ctrl+s")
            assert app.screen is review
            assert "Say why" in str(review.query_one("#error-reason").render())
            await pilot.press("tab", *"late but clear", "ctrl+s")
            await settle(pilot)
            assert app.screen is screen
            assert screen.submission.review_state == "approved"
            heading = str(screen.query_one("#submission-heading").render())
            assert "approved by mia" in heading and "score overridden: 2 → 2" in heading

    with hub.client("cy") as learner:
        items = learner.feedback_since(0)
    assert [(i.kind, i.check_id) for i in items] == [("note", "check-2"), ("review", None)]
    assert items[0].body == "Return **201** with a Location."
    assert (items[1].verdict, items[1].score_override, items[1].reason) == (
        "approved", 2, "late but clear")


def test_validate_review_names_each_wrong_field():
    assert validate_review("approved", "", "", 3) == ReviewDraft("approved", None, None, "")
    assert validate_review("changes_requested", " 1 ", "half done", 3, " see notes ") == (
        ReviewDraft("changes_requested", 1, "half done", "see notes"))
    assert set(validate_review("", "9", "", 3)) == {"verdict", "override", "reason"}
    assert "between 0 and 3" in validate_review("approved", "-1", "why", 3)["override"]
    assert validate_review("approved", "", "a reason alone", 3).reason is None
    for blank in ("", " \n "):  # changes, but which? the learner could not know
        assert set(validate_review("changes_requested", "", "", 3, blank)) == {"body"}


async def test_request_changes_says_which_before_anything_is_sent(hub, fixture_course):
    submission_id = submit(hub, "ada", make_report("hello-api", passed=(True, False, False)))
    with hub.client("mia") as mia:
        app = MentorApp(mia, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await app.push_screen(SubmissionScreen(mia.submission(submission_id)))
            await settle(pilot)
            await pilot.press("x", "ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, ReviewModal)
            assert "Say which changes" in str(app.screen.query_one("#error-body").render())
        assert mia.submission(submission_id).review_state == "awaiting"


async def test_the_cohort_view_shows_pass_rates_and_the_most_failing_checks(hub, fixture_course):
    with hub.client("mia") as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.screen.query_one("#filter-exercise", Input).value = "hello-api"
            await pilot.press("slash", "enter", "o")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, CohortScreen) and screen.exercise == "hello-api"
            table = screen.query_one(CheckRates)
            assert table.row_count == 3
            rates = {row.key.value: str(table.get_row(row.key)[1]) for row in table.rows.values()}
            # ada, bob and (if the review test ran) cy: check-2 fails for everyone
            learners = screen.stats.learners
            assert rates["check-0"] == f"{learners}/{learners}" and rates["check-2"] == f"0/{learners}"
            # Other tests may add a submission that also fails check-1 for everyone: a tie.
            everyone = [c.id for c in screen.stats.most_failing if c.failures == learners]
            assert screen.stats.most_failing[0].id in everyone and "check-2" in everyone
            assert "Check number 2" in str(screen.query_one("#cohort-failing").render())

            screen.query_one("#cohort-exercise", Select).value = "whoami"
            await settle(pilot)
            assert screen.stats.exercise == "whoami" and table.row_count == 1
            assert "No check fails" in str(screen.query_one("#cohort-failing").render())
            await pilot.press("escape")
            assert isinstance(app.screen, QueueScreen)


async def test_a_hub_that_is_down_is_said_plainly(fixture_course):
    with HubClient(f"http://127.0.0.1:{free_port()}", "apilab_whatever", timeout=2) as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            status = str(app.screen.query_one("#queue-status").render())
            assert "Could not load the queue" in status and "cannot reach the hub" in status
            titles = [n.title for n in app._notifications]
            assert "The hub is unreachable (loading the queue)" in titles
            assert app.hub_problem is not None
            await pilot.press("r")
            await settle(pilot)
            assert "Could not load the queue" in str(app.screen.query_one("#queue-status").render())


async def request_changes(pilot, comment: str) -> None:
    """Open the review form on "request changes", say which, and send it."""
    await pilot.press("x")
    await settle(pilot)
    pilot.app.screen.query_one("#review-body", TextArea).text = comment
    await pilot.press("ctrl+s")


async def test_a_revoked_token_says_to_log_in_again(hub, fixture_course):
    with hub.client("gone") as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            status = str(app.screen.query_one("#queue-status").render())
            assert "apilab login HUB_URL --token TOKEN" in status
            assert any(n.title.startswith("Your token was refused") for n in app._notifications)


async def test_a_review_the_hub_cannot_take_keeps_the_screen_and_says_why(hub, fixture_course):
    submission_id = submit(hub, "ada", make_report("hello-api", passed=(False, False, False)))
    with hub.client("mia") as mia, HubClient(f"http://127.0.0.1:{free_port()}",
                                             hub.tokens["mia"], timeout=2) as gone:
        app = MentorApp(mia, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await app.push_screen(SubmissionScreen(mia.submission(submission_id)))
            await settle(pilot)
            screen = app.screen
            assert screen.etag is not None
            app.client = gone  # the hub went away while the mentor was reading
            await request_changes(pilot, "Add a 404.")
            await settle(pilot)
            assert app.screen is screen
            assert any(n.title == "The hub is unreachable (sending the review)"
                       for n in app._notifications)
            assert "cannot reach the hub" in str(screen.query_one("#submission-heading").render())


def test_apilab_mentor_needs_a_mentor_login(tmp_path, monkeypatch):
    from apilab.cli import main
    from apilab.settings import HubLogin, save_hub

    monkeypatch.setenv("APILAB_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["mentor"])
    assert result.exit_code == 1
    assert "log in with a mentor token: apilab login HUB_URL --token TOKEN" in result.output

    save_hub(HubLogin("http://127.0.0.1:9", "apilab_x", "ada", "learner"))
    assert "log in with a mentor token" in CliRunner().invoke(main, ["mentor"]).output

    opened = []
    monkeypatch.setattr("tui.run_mentor_app", lambda hub, course: opened.append((hub, course)))
    save_hub(HubLogin("http://127.0.0.1:9", "apilab_x", "mia", "mentor"))
    result = CliRunner().invoke(main, ["mentor"])
    assert result.exit_code == 0, result.output
    assert opened[0][0].name == "mia"


async def test_a_review_that_crossed_another_mentors_shows_theirs_and_asks(hub, fixture_course):
    # Two mentors open the same submission; the other one approves first. Without If-Match the
    # second verdict silently replaced the first; now the app shows it and asks.
    submission_id = submit(hub, "ada", make_report("hello-api", passed=(True, False, False)))
    with hub.client("mia") as client, hub.client("mia") as other:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await app.push_screen(SubmissionScreen(client.submission(submission_id)))
            await settle(pilot)
            screen = app.screen
            other.review(submission_id, "approved", score_override=3, reason="our bug")

            await request_changes(pilot, "Add a 404.")
            await settle(pilot)
            question = app.screen
            assert isinstance(question, ConfirmModal)
            text = str(question.query_one("#confirm-question").render())
            assert "mia approved it" in text and "score set to 3/3 (our bug)" in text
            await pilot.press("n")  # keep theirs
            await settle(pilot)
            assert app.screen is screen and screen.submission.review_state == "approved"

            other.review(submission_id, "approved", body="and a second thought")
            await request_changes(pilot, "Add a 404.")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmModal)
            await pilot.press("y")  # replace it
            await settle(pilot)
            assert app.screen is screen
            assert screen.submission.review_state == "changes_requested"
    with hub.client("mia") as mia:
        verdicts = [item.verdict for item in mia.feedback_on(submission_id)]
    assert verdicts == ["approved", "approved", "changes_requested"]
