"""The learner's app and a real hub: a submission from the app reaches the mentor, and the
mentor's feedback and review reach the app's inbox at its next start."""

from __future__ import annotations

import pytest

from apilab.hub.client import HubClient
from apilab.hub.process import hub_process
from apilab.settings import HubSettings, save_hub
from tests.test_tui_exercise import open_exercise, wait_for
from tui.app import ApilabApp

LEARNER, MENTOR = "apilab_" + "l" * 43, "apilab_" + "m" * 43


@pytest.fixture
def hub_url(tmp_path, monkeypatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "home"))
    users = {"ada": ("learner", LEARNER), "grace": ("mentor", MENTOR)}
    with hub_process(tmp_path / "hub.db", users=users) as url:
        save_hub(HubSettings(url=url, token=LEARNER, name="ada", role="learner"))
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

    with HubClient(hub_url, MENTOR) as mentor:
        [submission] = list(mentor.submissions())
        assert submission["id"] == screen.run_id and submission["learner"] == "ada"
        mentor.add_feedback(submission["id"], "Tidy error bodies. **Well done** otherwise.")
        mentor.review(submission["id"], "approved", score_override=3, reason="bonus for docs")

    again = ApilabApp(fixture_course, store)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: again.unread == 2)
        assert store.progress()["hello-api"].verdict == "approved"
        await pilot.press("i")
        await pilot.pause()
        assert type(again.screen).__name__ == "InboxScreen"
