"""The lesson screen: the reading, the notebook in Jupyter, the sandbox and its docs."""

from __future__ import annotations

import shutil
import socket

import httpx
import psutil
import pytest

from apilab.catalog.loader import load_course
from apilab.sandbox_control import SandboxState
from apilab.sandbox_process import SandboxProcess
from tests.helpers import FIXTURE_COURSE, wait_for
from tui.app import ApilabApp
from tui.screens import lesson as lesson_module
from tui.screens.lesson import LessonScreen
from tui.widgets.reading import Reading


async def open_lesson(pilot, app: ApilabApp, number: int) -> LessonScreen:
    await pilot.pause()
    app.push_screen(LessonScreen(app.course.lesson(str(number))))
    await pilot.pause()
    assert isinstance(app.screen, LessonScreen)
    return app.screen


def message(screen: LessonScreen) -> str:
    panel = screen.query_one("#lesson-message")
    return str(panel.render()) if panel.display else ""


async def test_the_reading_is_shown_as_markdown(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_lesson(pilot, app, 1)
        reading = screen.query_one("#reading-text", Reading)
        assert reading.source.startswith("# HTTP basics")
        await wait_for(pilot, lambda: reading.rendered_width > 0)
        assert "HTTP basics" in reading.plain and "# HTTP" not in reading.plain
        assert "apilab notebook 1" in str(screen.query_one("#lesson-actions").render())


@pytest.mark.slow
async def test_o_shows_the_notebook_url_with_its_token_and_reuses_jupyter(store, tmp_path,
                                                                          monkeypatch):
    shutil.copytree(FIXTURE_COURSE, tmp_path / "course")
    course = load_course(tmp_path / "course")
    monkeypatch.delenv("DISPLAY", raising=False)  # over SSH: no browser to open
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = ApilabApp(course, store)
    app.sandbox_state = SandboxState("running", "http://127.0.0.1:8123", healthy=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_lesson(pilot, app, 1)
        await pilot.press("o")
        assert "Starting Jupyter" in message(screen)
        await wait_for(pilot, lambda: "token=" in message(screen), 90)
        jupyter = app.jupyter
        url = jupyter.url_for(jupyter.root / "01-http-basics.ipynb")
        assert url in message(screen) and "No browser here" in message(screen)
        # The learner's own copy is what Jupyter serves, so the course's notebook stays as
        # published; the address with its token opens it.
        assert jupyter.root == tmp_path / "course" / "work" / "notebooks"
        contents = url.replace("/lab/tree/", "/api/contents/")
        assert httpx.get(contents, trust_env=False, timeout=10).json()["type"] == "notebook"
        assert httpx.get(contents.split("?")[0], trust_env=False, timeout=10).status_code == 403
        # Its kernels find the sandbox in SANDBOX_URL.
        [pid] = app.processes.running()
        assert psutil.Process(pid).environ()["SANDBOX_URL"] == "http://127.0.0.1:8123"

        await pilot.press("o")  # again: the same Jupyter, not a second one
        assert app.processes.running() == [pid] and app.jupyter is jupyter
        assert url in message(screen)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_a_lesson_without_a_notebook_says_so(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_lesson(pilot, app, 2)
        await pilot.press("o")
        assert "has no notebook" in message(screen)


async def test_a_missing_notebook_file_is_a_clear_message(store, tmp_path):
    shutil.copytree(FIXTURE_COURSE, tmp_path / "course")
    course = load_course(tmp_path / "course")
    (tmp_path / "course" / "notebooks" / "01-http-basics.ipynb").unlink()
    app = ApilabApp(course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_lesson(pilot, app, 1)
        await pilot.press("o")
        text = message(screen)
        assert "is missing" in text and "01-http-basics.ipynb" in text
        assert app.processes.running() == []


async def test_docs_open_in_a_browser_or_the_url_is_shown(fixture_course, store, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(lesson_module, "open_in_browser", lambda url: opened.append(url) or False)
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_lesson(pilot, app, 1)
        await pilot.press("d")
        assert "not running" in message(screen) and opened == []
        app.sandbox_state = SandboxState("running", "http://127.0.0.1:8123", healthy=True)
        await pilot.press("d")
        assert opened == ["http://127.0.0.1:8123/docs"]
        assert "No browser" in message(screen) and "http://127.0.0.1:8123/docs" in message(screen)


async def test_a_sandbox_port_in_use_is_a_clear_message(fixture_course, store):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        app = ApilabApp(fixture_course, store, SandboxProcess(port=port), start_sandbox=True,
                        sandbox_fallback=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.sandbox_state.phase == "failed")
            panel = str(app.screen.query_one("#sandbox-panel").render())
            assert "could not start" in panel and f"port {port} is already in use" in panel
            assert app.sandbox_control.sandbox.pid is None


@pytest.mark.slow
async def test_s_starts_the_sandbox_on_a_free_port_when_busy_and_quit_stops_it(
        fixture_course, store):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        app = ApilabApp(fixture_course, store, SandboxProcess(port=port))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("s")
            await wait_for(pilot, lambda: app.sandbox_state.phase in ("running", "failed"), 30)
            state = app.sandbox_state
            assert state.phase == "running", state.message
            assert state.url != f"http://127.0.0.1:{port}"
            assert f"Port {port} was busy (another program has it)" in state.message
            panel = str(app.screen.query_one("#sandbox-panel").render())
            assert f"running at {state.url} (healthy)" in panel
            sandbox = app.sandbox_control.sandbox
            assert sandbox.healthy()
        assert not sandbox.healthy() and sandbox.pid is None
