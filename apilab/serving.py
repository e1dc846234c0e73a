"""Serving a learner's workspace: run their server, restart it on save, follow the folder.

`ServerSupervisor` runs any command (uvicorn for Python, node for JavaScript, or the learner's
own) with `PORT` and `SANDBOX_URL` in its environment, and restarts it whenever a file in the
workspace changes. It follows the workspace by identity, not by name: when the folder is moved
away (`apilab start --reset` keeps a backup), deleted, or replaced, the server stops and says so,
and it starts again from the folder that is back under that name. It never serves or watches a
renamed backup. `apilab serve` and the app's `p` both use it; it reports what happens as
`ServerEvent`s, on the event loop that runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from apilab import languages
from apilab.processes import LaunchError, Processes
from apilab.server_commands import ServerCommand

TICK = 0.5  # seconds between checks that the workspace is still the same folder
SETTLE = 0.3  # after a folder comes back, let its files land before starting from it
LISTEN_HINT_AFTER = 10.0  # seconds without a listening port before saying what PORT is for

EventKind = Literal["started", "output", "listening", "not-listening", "exited", "restarting",
                    "gone", "replaced", "back", "failed"]


@dataclass(frozen=True)
class ServerEvent:
    kind: EventKind
    text: str


@dataclass(frozen=True)
class FolderEvent:
    kind: Literal["present", "changed", "gone", "replaced", "back"]
    files: list[str] = field(default_factory=list)  # for "changed", relative to the folder


def identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at this path (device and inode), or None when there is none."""
    try:
        stat = folder.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino) if folder.is_dir() else None


async def follow(folder: Path, stop: asyncio.Event, tick: float = TICK) -> AsyncIterator[FolderEvent]:
    """What happens to the folder at this path until `stop` is set: first "present" or "gone",
    then "changed" (files saved), "gone" (moved away or deleted), "replaced" (another folder now
    has its name) and "back" (a folder has its name again after it was gone)."""
    from watchfiles import awatch  # imported here: only serving and watching need it

    current = identity(folder)
    yield FolderEvent("present" if current else "gone")
    while not stop.is_set():
        if current is None:
            current = await _reappearance(folder, stop, tick)
            if current is not None:
                yield FolderEvent("back")
            continue
        watched = current
        with contextlib.suppress(OSError):  # gone between the check and the watch
            async for changes in awatch(folder, stop_event=stop, yield_on_timeout=True,
                                        rust_timeout=int(tick * 1000), debounce=300):
                current = identity(folder)
                if current != watched:
                    break
                if changes:
                    yield FolderEvent("changed", sorted({_relative(path, folder)
                                                         for _change, path in changes}))
        current = identity(folder)
        if current != watched and not stop.is_set():
            if current is not None:
                await asyncio.sleep(SETTLE)
            yield FolderEvent("gone" if current is None else "replaced")


async def _reappearance(folder: Path, stop: asyncio.Event, tick: float) -> tuple[int, int] | None:
    while not stop.is_set():
        if identity(folder) is not None:
            await asyncio.sleep(SETTLE)
            return identity(folder)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), tick)
    return None


def _relative(path: str, folder: Path) -> str:
    try:
        return str(Path(path).relative_to(folder))
    except ValueError:
        return path


class ServerSupervisor:
    """A learner's server, kept running from their workspace until `run()` is cancelled."""

    def __init__(self, processes: Processes, *, folder: Path, command: ServerCommand, port: int,
                 on_event: Callable[[ServerEvent], None], exercise: str | None = None,
                 sandbox_url: str | None = None, watch: bool = True) -> None:
        self.processes = processes
        self.folder, self.command, self.port = folder, command, port
        self.exercise, self.sandbox_url, self.watch = exercise, sandbox_url, watch
        self.on_event = on_event
        self.child: subprocess.Popen[bytes] | None = None
        self.listening = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        return self.child is not None and self.child.poll() is None

    def stop(self) -> None:
        """Stop the server now and everything it spawned (cancelling `run()` does too)."""
        self._stop_child()

    async def run(self) -> None:
        """Serve until cancelled (or, without watch, until the server exits); the server is
        stopped when this returns."""
        self._loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        try:
            if not self.watch:
                await self._start()
                while self.running:
                    await asyncio.sleep(0.1)
                return
            async for event in follow(self.folder, stop):
                await self._on_folder(event)
        finally:
            stop.set()
            self._stop_child()

    async def _on_folder(self, event: FolderEvent) -> None:
        where = self.folder
        if event.kind in ("gone", "replaced"):
            await asyncio.to_thread(self._stop_child)
        if event.kind == "gone":
            self._emit("gone", f"Your workspace {where} is gone (moved or deleted): your server "
                               "is stopped. It starts again when the folder is back.")
            return
        if event.kind == "replaced":
            self._emit("replaced", f"Your workspace {where} was replaced by a new folder (an "
                                   "apilab start --reset?): serving the new one.")
        elif event.kind == "back":
            self._emit("back", f"Your workspace {where} is back: starting your server.")
        elif event.kind == "changed":
            names = ", ".join(event.files[:3]) + (" …" if len(event.files) > 3 else "")
            self._emit("restarting", f"{names} changed: restarting your server.")
            await asyncio.to_thread(self._stop_child)
        await self._start()

    async def _start(self) -> None:
        words = languages.with_port(self.command.words, self.port)
        env = {**os.environ, languages.PORT_VARIABLE: str(self.port), "PYTHONUNBUFFERED": "1"}
        if self.sandbox_url:
            env["SANDBOX_URL"] = self.sandbox_url
        try:
            child = self.processes.spawn(words, kind="server", cwd=self.folder, env=env,
                                         output="pipe", port=self.port, exercise=self.exercise)
        except LaunchError as exc:
            self._emit("failed", f"Your server did not start: {exc}.")
            return
        self.child, self.listening = child, False
        self._emit("started", f"$ {self.command.shown}   (in {self.folder}, PORT={self.port})")
        threading.Thread(target=self._pump, args=(child,), daemon=True,
                         name="apilab-server-log").start()
        asyncio.get_running_loop().create_task(self._watch_child(child))

    def _pump(self, child: subprocess.Popen[bytes]) -> None:
        """Forward the server's output, line by line (a thread: reading a pipe blocks)."""
        assert child.stdout is not None
        with child.stdout:
            for raw in child.stdout:
                self._emit_threadsafe("output", raw.decode(errors="replace").rstrip("\r\n"))

    async def _watch_child(self, child: subprocess.Popen[bytes]) -> None:
        """Say when the server listens, hint at PORT when it does not, and say when it exits."""
        waited, hinted = 0.0, False
        while child.poll() is None and child is self.child:
            if not self.listening and await _accepts(self.port):
                self.listening = True
                self._emit("listening", f"Your server is listening on http://127.0.0.1:{self.port}")
            elif not self.listening and not hinted and waited > LISTEN_HINT_AFTER:
                hinted = True
                self._emit("not-listening",
                           f"Your server has not opened port {self.port} after "
                           f"{LISTEN_HINT_AFTER:g} s. Does it listen on the port given in the "
                           "PORT environment variable, on 127.0.0.1?")
            await asyncio.sleep(0.1)
            waited += 0.1
        if child is self.child:  # it ended by itself, not because it was stopped
            self.child, self.listening = None, False
            hint = "save a file to start it again" if self.watch else "see its output above"
            self._emit("exited", f"Your server exited with code {child.returncode}; {hint}.")

    def _stop_child(self) -> None:
        child, self.child, self.listening = self.child, None, False
        if child is not None:
            self.processes.stop(child.pid)

    def _emit(self, kind: EventKind, text: str) -> None:
        self.on_event(ServerEvent(kind, text))

    def _emit_threadsafe(self, kind: EventKind, text: str) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._emit, kind, text)


async def _accepts(port: int) -> bool:
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
