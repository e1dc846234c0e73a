"""Both apps and a real hub: a submission from the learner's app reaches the mentor's app, and
the mentor's feedback and review, written there, reach the learner's inbox and course map."""

from __future__ import annotations

import pytest
from textual.widgets import TextArea

from apilab.hubclient import HubClient
from apilab.settings import HubLogin, save_hub
from hub.process import hub_process
from tests.helpers import make_report, open_exercise, queue_rows, settle, wait_for
from tui.app import ApilabApp
from tui.mentor_app import MentorApp
from tui.screens.mentor_submission import SubmissionScreen

LEARNER, MENTOR = "apilab_" + "l" * 43, "apilab_" + "m" * 43


@pytest.fixture
def hub_url(tmp_path, monkeypatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "home"))
    users = {"ada": ("learner", LEARNER), "grace": ("mentor", MENTOR)}
    with hub_process(tmp_path / "hub.db", users=users) as url:
        save_hub(HubLogin(url=url, token=LEARNER, name="ada", role="learner"))
        yield url


def hub_idle(app: ApilabApp) -> bool:
    return not any(w.group == "hub" and not w.is_finished for w in app.workers)


async def test_a_submission_from_the_app_round_trips_through_the_mentor(
        fixture_course, store, hub_url, hello_solution_url):
    app = ApilabApp(fixture_course, store, server_url=hello_solution_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.press("t")
        await wait_for(pilot, lambda: screen.run_id is not None)
        await wait_for(pilot, lambda: store.outbox_count() == 0 and hub_idle(app))
        assert store.runs("hello-api")[0].kind == "submit"

    with HubClient(hub_url, MENTOR) as client:
        mentor = MentorApp(client, fixture_course)
        async with mentor.run_test(size=(130, 40)) as pilot:
            await settle(pilot)
            assert queue_rows(mentor.screen) == [("ada", "hello-api")]
            await pilot.press("enter")
            await settle(pilot)
            submission = mentor.screen
            assert isinstance(submission, SubmissionScreen)
            assert submission.submission_id == screen.run_id

            await pilot.press("f")
            mentor.screen.query_one("#feedback-body", TextArea).text = "Tidy **error bodies**."
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("a")
            await pilot.press("tab", "3", "tab", *"bonus for docs", "ctrl+s")
            await settle(pilot)
            assert mentor.screen is submission
            assert submission.submission.review_state == "approved"

    again = ApilabApp(fixture_course, store)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: again.unread == 2)
        progress = store.progress()["hello-api"]
        assert progress.verdict == "approved" and progress.score_override == 3
        notes = {item.kind: item for item in store.feedback()}
        assert notes["note"].body == "Tidy **error bodies**." and notes["note"].author == "grace"
        assert notes["review"].reason == "bonus for docs"
        await pilot.press("i")
        await pilot.pause()
        assert type(again.screen).__name__ == "InboxScreen"


async def test_an_empty_inbox_says_how_to_join_a_hub(fixture_course, store, tmp_path, monkeypatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "no-hub"))
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("i")
        await pilot.pause()
        summary = str(app.screen.query_one("#inbox-summary").render())
        assert "apilab login HUB_URL --token TOKEN" in summary


async def test_a_login_made_while_the_app_is_open_is_used(fixture_course, store, tmp_path,
                                                         monkeypatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "later"))
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.hub is None
        save_hub(HubLogin(url="http://127.0.0.1:9", token=LEARNER, name="ada", role="learner"))
        assert app.hub is not None and app.hub.token == LEARNER


async def test_the_app_keeps_the_submissions_made_before_joining_and_says_how_to_send_them(
        fixture_course, store, hub_url):
    # `apilab login` offered to send them; a learner who said no is not overruled by the app.
    before = store.record_run(make_report(), "submit", unsent=True)  # no hub joined then
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: hub_idle(app) and any(
            "apilab sync" in str(n.message) for n in app._notifications))
        said = next(str(n.message) for n in app._notifications if "apilab sync" in str(n.message))
        assert said.startswith("1 submission made before you logged in (hello-api) was never sent.")
    assert [run.id for run in store.unsent_submissions()] == [before]
    with HubClient(hub_url, MENTOR) as client:
        assert before not in [item.id for item in client.submissions()]
