"""The lab screen: from the security lesson, the learner switches the vulnerable lab on in the
app's own sandbox, exploits it, submits the flag it revealed, and switches it off again; a flag
captured there reaches the hub, where mentors see it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from apilab import paths
from apilab.catalog.loader import load_course
from apilab.hubclient import HubClient
from apilab.sandbox_process import SandboxProcess
from apilab.settings import HubLogin, save_hub
from hub.process import hub_process
from sandbox_api.lab_flags import CHALLENGES, flag_for, install_secret
from sandbox_api.labs import HEADER
from tests.helpers import wait_for
from tui.app import ApilabApp
from tui.screens.lab import LabScreen
from tui.screens.lesson import LessonScreen

ROOT = Path(__file__).resolve().parent.parent
LEARNER, MENTOR = "apilab_" + "l" * 43, "apilab_" + "m" * 43


def text_of(screen, selector: str) -> str:
    widget = screen.query_one(selector)
    return str(widget.render()) if widget.display else ""


def lab_marks(url: str) -> list[str]:
    return httpx.get(f"{url}/health", timeout=5, trust_env=False).headers.get_list(HEADER)


async def test_only_a_lesson_with_the_lab_opens_it(fixture_course, store):
    course = load_course(ROOT)
    security = next(lesson for lesson in course.lessons if "security" in lesson.labs)
    app = ApilabApp(course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(LessonScreen(course.lessons[0]))
        await pilot.pause()
        await pilot.press("l")
        assert isinstance(app.screen, LessonScreen)  # lesson 1 has no lab
        app.pop_screen()
        app.push_screen(LessonScreen(security))
        await pilot.pause()
        assert "security lab" in text_of(app.screen, "#lesson-actions")
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LabScreen)
        screen = app.screen
        assert "vulnerable on purpose" in text_of(screen, "#lab-warning")
        assert "127.0.0.1 only" in text_of(screen, "#lab-warning")
        assert "off" in text_of(screen, "#lab-state")  # off until the learner switches it on
        challenges = text_of(screen, "#lab-challenges")
        assert "API1" in challenges and "API9" in challenges
        assert f"0 of {len(CHALLENGES)} flags" in str(screen.query_one("#lab-challenges").border_title)


@pytest.mark.slow
async def test_switch_the_lab_on_capture_a_flag_and_switch_it_off(store):
    course = load_course(ROOT)
    security = next(lesson for lesson in course.lessons if "security" in lesson.labs)
    app = ApilabApp(course, store, SandboxProcess(), start_sandbox=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.sandbox_state.phase == "running", 60)
        url = app.sandbox_state.url
        assert lab_marks(url) == []  # the app's sandbox starts without labs
        app.push_screen(LessonScreen(security))
        await pilot.pause()
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, LabScreen)

        await pilot.press("l")  # on: the same address, now vulnerable on purpose
        await wait_for(pilot, lambda: app.sandbox_state.phase == "running", 60)
        assert app.sandbox_state.url == url and app.sandbox_state.labs == ("security",)
        assert [mark.split(";")[0] for mark in lab_marks(url)] == ["security"]
        state = text_of(screen, "#lab-state")
        assert "on at" in state and f"{url}/docs" in state

        leaked = httpx.get(f"{url}/lab/v0/users", timeout=5, trust_env=False).json()  # API9

        await pilot.press("f")
        await pilot.press(*"apilab{0000}", "enter")
        assert "not a flag of this installation" in text_of(screen, "#flag-message")
        assert store.captured_flags() == {}

        screen.query_one("#flag-input").value = leaked["flag"]
        await pilot.press("enter")
        message = text_of(screen, "#flag-message")
        assert "Captured old-version (API9" in message
        assert set(store.captured_flags()) == {"old-version"}
        assert f"1 of {len(CHALLENGES)} flags" in str(screen.query_one("#lab-challenges").border_title)
        assert "⚑ API9" in text_of(screen, "#lab-challenges")

        await pilot.press("escape")  # leaves the input first
        assert isinstance(app.screen, LabScreen)
        await pilot.press("l")  # off: the plain practice API, still at the same address
        await wait_for(pilot, lambda: app.sandbox_state.phase == "running", 60)
        assert app.sandbox_state.labs == () and app.sandbox_state.url == url
        assert lab_marks(url) == []
        assert "off" in text_of(screen, "#lab-state")


async def test_a_flag_captured_in_the_app_reaches_the_mentors(fixture_course, store, tmp_path):
    users = {"ada": ("learner", LEARNER), "grace": ("mentor", MENTOR)}
    with hub_process(tmp_path / "hub.db", users=users) as url:
        save_hub(HubLogin(url=url, token=LEARNER, name="ada", role="learner"))
        app = ApilabApp(fixture_course, store)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            await app.push_screen(LabScreen())
            screen = app.screen
            screen.query_one("#flag-input").value = flag_for(install_secret(paths.data_home()), "bola")
            await pilot.press("f", "enter")
            assert "Captured bola (API1" in text_of(screen, "#flag-message")
            await wait_for(pilot, lambda: store.unsent_flags() == [], 30)
        with HubClient(url, MENTOR) as mentor:
            [capture] = mentor.captures()
        assert (capture.learner, capture.challenge, capture.category) == ("ada", "bola", "API1")
