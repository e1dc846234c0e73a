"""Running the learner's server from the app, and watch mode re-grading on save."""

from __future__ import annotations

import os
import shutil
import socket

import pytest
from textual.widgets import Log

from apilab.catalog.loader import load_course
from apilab.ports import free_port
from tests.helpers import FIXTURE_COURSE, open_exercise, run_checks, wait_for
from tui.app import ApilabApp


@pytest.fixture
def course_copy(tmp_path):
    """A copy of the fixture course, so that workspaces (work/) land in a temporary folder."""
    shutil.copytree(FIXTURE_COURSE, tmp_path / "course",
                    ignore=shutil.ignore_patterns("work", "__pycache__"))
    return load_course(tmp_path / "course")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def titles(app: ApilabApp) -> list[str]:
    return [n.title or "" for n in app._notifications]


def messages(app: ApilabApp) -> str:
    return "\n".join(n.message for n in app._notifications)


@pytest.mark.slow
async def test_serve_the_workspace_then_watch_regrades_on_save(course_copy, store):
    exercise = course_copy.exercise("hello-api")
    app = ApilabApp(course_copy, store, server_url=f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        screen.reload_delay = 2.5
        await pilot.press("p")
        workspace = course_copy.root / "work" / "hello-api"
        assert (workspace / "app.py").read_text() == (exercise.starter_dir / "app.py").read_text()
        assert "Workspace created" in titles(app)
        log = screen.query_one("#server-log", Log)
        await wait_for(pilot, lambda: any("startup complete" in line for line in log.lines), 30)
        server_pid = screen.server.pid
        assert app.processes.running() == [server_pid]

        await run_checks(pilot, screen)
        assert (screen.report.status, screen.report.score) == ("fail", 2)

        await pilot.press("w")
        assert screen.watching
        shutil.copy(exercise.solution_dir / "app.py", workspace / "app.py")
        await wait_for(pilot, lambda: screen.report.status == "pass" and not any(
            w.group == "grading" and not w.is_finished for w in screen.workers), 40)
        assert screen.runs_started >= 2
        assert store.progress()["hello-api"].status == "passed"

        await pilot.press("escape")  # leaving the exercise stops its server and the watch
        await wait_for(pilot, lambda: not alive(server_pid), 10)
        assert app.processes.running() == []
        assert not screen.watching


@pytest.mark.slow
async def test_a_server_that_will_not_start_says_why_and_starts_again_on_save(course_copy, store):
    workspace = course_copy.root / "work" / "hello-api"
    workspace.mkdir(parents=True)
    (workspace / "app.py").write_text("from fastapi import FastAPI\napp = FastAPI(\n")
    app = ApilabApp(course_copy, store, server_url=f"http://127.0.0.1:{free_port()}")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.press("p")
        await wait_for(pilot, lambda: "exited with code 1" in messages(app), 30)
        assert "save a file to start it again" in messages(app)
        log = screen.query_one("#server-log", Log)
        assert any("SyntaxError" in line for line in log.lines)
        assert "Workspace created" not in titles(app)  # an existing workspace is left alone
        assert "stopped" in str(screen.query_one("#mode-line").render())

        shutil.copy(course_copy.exercise("hello-api").solution_dir / "app.py", workspace / "app.py")
        await wait_for(pilot, lambda: screen.supervisor.listening, 30)
        pid = screen.server.pid
        assert "listening" in str(screen.query_one("#mode-line").render())
    assert not alive(pid)  # quitting stops it


async def test_a_busy_port_for_the_learner_server_is_a_clear_message(course_copy, store):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        app = ApilabApp(course_copy, store, server_url=f"http://127.0.0.1:{port}")
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_exercise(pilot, app)
            await pilot.press("p")
            assert f"Port {port} is already in use" in messages(app)
            assert screen.server is None and app.processes.running() == []


async def test_watch_without_a_workspace_says_how_to_make_one(course_copy, store):
    app = ApilabApp(course_copy, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.press("w")
        assert not screen.watching
        assert "apilab start hello-api" in messages(app)
