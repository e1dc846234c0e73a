"""Serving a workspace in any language: PORT, restart on save, and following the folder.

A real Node.js server (the reading-list JavaScript starter) runs under the supervisor, in a
temporary workspace that the tests edit, move away, replace and bring back as a learner would.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest

from apilab.catalog.loader import load_course
from apilab.languages import parse_command
from apilab.paths import CHECKOUT
from apilab.ports import free_port
from apilab.processes import Processes
from apilab.server_commands import CommandError, ServerCommand, remember, resolve
from apilab.serving import ServerEvent, ServerSupervisor

pytestmark = pytest.mark.slow

JS_STARTER = load_course(CHECKOUT).exercise("reading-list").starters["js"]
NODE = ServerCommand(["node", "server.js"], "JavaScript (Node.js)")


class Served:
    """A supervisor running in the test's event loop, and everything it reported."""

    def __init__(self, folder: Path, command: ServerCommand = NODE) -> None:
        self.events: list[ServerEvent] = []
        self.port = free_port()
        self.processes = Processes()
        self.supervisor = ServerSupervisor(self.processes, folder=folder, command=command,
                                           port=self.port, on_event=self.events.append,
                                           sandbox_url="http://127.0.0.1:9")
        self.task: asyncio.Task[None] | None = None

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    def texts(self) -> str:
        return "\n".join(event.text for event in self.events)

    async def until(self, predicate, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.05)

    async def __aenter__(self) -> Served:
        self.task = asyncio.create_task(self.supervisor.run())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task
        assert self.processes.running() == []


@pytest.fixture
def workspace(tmp_path) -> Path:
    folder = tmp_path / "work" / "reading-list"
    shutil.copytree(JS_STARTER, folder)
    return folder


async def get_books(port: int) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        return await client.get(f"http://127.0.0.1:{port}/books")


async def test_any_command_runs_with_port_and_restarts_on_save(workspace):
    async with Served(workspace) as served:
        await served.until(lambda: served.supervisor.listening)
        assert (await get_books(served.port)).json() == {"items": []}
        assert f"$ node server.js   (in {workspace}, PORT={served.port})" in served.texts()
        assert f"Reading list listening on http://127.0.0.1:{served.port}" in served.texts()
        first = served.supervisor.child.pid

        server = workspace / "server.js"
        server.write_text(server.read_text().replace("{ items: [...BOOKS.values()] }",
                                                     "{ items: [], edited: true }"))
        await served.until(lambda: "restarting" in served.kinds())
        await served.until(lambda: served.supervisor.listening)
        assert served.supervisor.child.pid != first
        assert (await get_books(served.port)).json() == {"items": [], "edited": True}
        assert "server.js changed: restarting your server." in served.texts()


async def test_a_reset_workspace_is_served_anew_and_the_backup_never(workspace):
    async with Served(workspace) as served:
        await served.until(lambda: served.supervisor.listening)
        backup = workspace.with_name("reading-list.backup-1")
        workspace.rename(backup)  # what apilab start --reset does, then a fresh copy
        shutil.copytree(JS_STARTER, workspace)
        (workspace / "server.js").write_text((workspace / "server.js").read_text().replace(
            "{ items: [...BOOKS.values()] }", "{ items: [], fresh: true }"))
        await served.until(lambda: "replaced" in served.kinds() or "back" in served.kinds())
        await served.until(lambda: served.supervisor.listening)
        assert (await get_books(served.port)).json() == {"items": [], "fresh": True}
        restarts = served.kinds().count("started")

        (backup / "server.js").write_text("syntax error in the backup")  # never watched
        await asyncio.sleep(1.5)
        assert served.kinds().count("started") == restarts
        cwd = Path(f"/proc/{served.supervisor.child.pid}/cwd").resolve()
        assert cwd == workspace.resolve()


async def test_a_deleted_workspace_stops_the_server_until_it_is_back(workspace, tmp_path):
    async with Served(workspace) as served:
        await served.until(lambda: served.supervisor.listening)
        aside = tmp_path / "aside"
        workspace.rename(aside)
        await served.until(lambda: "gone" in served.kinds())
        assert not served.supervisor.running and served.processes.running() == []
        assert "is gone (moved or deleted): your server is stopped" in served.texts()
        with pytest.raises(httpx.ConnectError):
            await get_books(served.port)

        aside.rename(workspace)
        await served.until(lambda: "back" in served.kinds())
        await served.until(lambda: served.supervisor.listening)
        assert (await get_books(served.port)).status_code == 200


async def test_a_server_that_exits_is_said_and_a_save_starts_it_again(workspace):
    server = workspace / "server.js"
    good = server.read_text()
    server.write_text("process.exit(3)\n")
    async with Served(workspace) as served:
        await served.until(lambda: "exited" in served.kinds())
        assert "Your server exited with code 3; save a file to start it again." in served.texts()
        server.write_text(good)
        await served.until(lambda: served.supervisor.listening)


async def test_a_server_on_another_port_gets_a_hint_about_port(workspace, monkeypatch):
    monkeypatch.setattr("apilab.serving.LISTEN_HINT_AFTER", 0.5)
    (workspace / "server.js").write_text("require('node:http').createServer().listen(0)\n")
    async with Served(workspace) as served:
        await served.until(lambda: "not-listening" in served.kinds())
        assert "PORT environment variable" in served.texts()


async def test_a_command_that_cannot_run_is_a_clear_event(workspace):
    command = ServerCommand(["no-such-program-here", "--port", "$PORT"], "your command")
    async with Served(workspace, command) as served:
        await served.until(lambda: "failed" in served.kinds())
        assert "could not run no-such-program-here" in served.texts()


# --- which command -----------------------------------------------------------------------------


@pytest.mark.parametrize(("words", "seen"), [
    (["go", "run", ".", "--port", "$PORT"], "go run . --port $PORT"),
    (["node", "server.js", "--listen=127.0.0.1:${PORT}"], "node server.js --listen=127.0.0.1:${PORT}"),
    (["sh", "-c", "echo $PORT; serve"], "sh -c 'echo $PORT; serve'"),  # quoted for its `;`
    (["ruby", "my app.rb"], "ruby 'my app.rb'"),
])
def test_a_command_is_shown_as_typed_with_port_as_written(words, seen):
    shown = ServerCommand(words, "your command").shown
    assert shown == seen
    assert parse_command(shown) == words  # typed back, it is the same command


def test_the_command_comes_from_the_language_then_what_the_learner_gave(tmp_path):
    (tmp_path / "server.js").write_text("")
    assert resolve(tmp_path, "x").words == ["node", "server.js"]
    given = resolve(tmp_path, "x", "go run . --port $PORT")
    assert (given.words, given.origin) == (["go", "run", ".", "--port", "$PORT"], "your command")
    assert resolve(tmp_path, "x").origin == "your command, remembered"
    assert resolve(tmp_path, "other").words == ["node", "server.js"]  # per exercise
    assert resolve(tmp_path, "x", "default").words == ["node", "server.js"]
    assert resolve(tmp_path, "x").words == ["node", "server.js"]  # forgotten
    remember("x", ["deno", "run", "server.ts"])
    assert resolve(tmp_path, "x", remember_it=False).words == ["node", "server.js"]


def test_without_an_entry_file_or_a_command_it_says_what_to_give(tmp_path):
    with pytest.raises(CommandError, match=r"has no app.py \(Python \(FastAPI\)\) or server.js"):
        resolve(tmp_path, "x")
    with pytest.raises(CommandError, match="cannot read the command"):
        resolve(tmp_path, "x", "node 'server.js")
