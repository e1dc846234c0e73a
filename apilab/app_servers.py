"""Build an exercise's starter, solution or mutant, and serve it on loopback.

`materialize` writes one runnable copy of an exercise (a mutant is the solution with its edits
applied); `AppServer` runs its `app:app` with uvicorn on a loopback port, and `serve_app` and
`serve_apps` do so for as long as a `with` block lasts. `apilab verify` and the tests grade what
they serve. A server's environment may carry the URLs of the services it needs (`SANDBOX_URL`).

Each server is its own process, forked from a multiprocessing fork server that has imported
FastAPI and uvicorn once: those imports are most of the CPU a server's start costs, and a course
check starts a hundred servers. Where fork servers do not exist (Windows), processes are spawned.

However the process that started them ends (a closed terminal, `kill`, `kill -9`), its servers
end with it: each holds the reading end of a pipe (its lifeline) whose writing end only that
process has, and ends itself when the pipe closes. A forked server's parent is the fork server,
which lives as long as any server it forked, so no signal from the kernel would reach them.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Literal

from apilab.catalog.models import Exercise, Mutant
from apilab.ports import free_port, free_ports

START_TIMEOUT = 20.0
# What the served apps import, loaded once in the fork server and shared by every server it
# forks: FastAPI and uvicorn, and the libraries the reference solutions sign and fetch with
# (importing joserfc costs a server start about as much as FastAPI's routing). Then what each
# server would still import on its own: pydantic.v1 (FastAPI imports it when it builds the first
# route, to tell v1 models apart), the protocol and lifespan classes uvicorn picks as it starts,
# and this module (the server's target). Together 80 ms of CPU less for each server started.
# Libraries keep no state of an app's, so servers forked after them stay as separate as before.
PRELOADED = ["fastapi", "uvicorn", "uvicorn.main", "joserfc.jwt", "joserfc.jwk", "httpx",
             "pydantic.v1", "uvicorn.protocols.http.auto", "uvicorn.protocols.websockets.auto",
             "uvicorn.lifespan.on", "apilab.app_servers"]


class ServerStartError(RuntimeError):
    """A server did not start listening; the message carries the end of its stderr."""


def materialize(exercise: Exercise, source: Literal["starter", "solution"] | Mutant,
                into: Path) -> Path:
    """Copy the starter, the solution, or the solution with a mutant's edits into `into`.

    Returns `into`. Each edit's `find` must occur exactly once in its file (the loader checks
    this too); otherwise `ValueError` names the mutant, the file and the text.
    """
    origin = exercise.starter_dir if source == "starter" else exercise.solution_dir
    shutil.copytree(origin, into, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if isinstance(source, Mutant):
        for edit in source.edits:
            target = into / edit.file
            text = target.read_text(encoding="utf-8")
            found = text.count(edit.find)
            if found != 1:
                raise ValueError(f"mutant {source.name}: {edit.find!r} occurs {found} times in "
                                 f"{edit.file}; it must occur exactly once")
            target.write_text(text.replace(edit.find, edit.replace), encoding="utf-8")
    return into


class AppServer:
    """One server process running `uvicorn app:app` from a folder, its port and its stderr.

    `env` is added to the process's environment (the services' URLs, say). Started on creation;
    `wait_ready` (or `ready`, from async code) waits until it listens, `stop` ends it.
    """

    def __init__(self, folder: Path, port: int | None, *, port_chosen_here: bool = False,
                 env: Mapping[str, str] | None = None) -> None:
        # A port picked here may be taken by another program before uvicorn binds it; such a
        # server is started once more on a new port rather than failing the course check.
        self.folder, self.port = Path(folder).resolve(), port or free_port()
        self.may_move = port_chosen_here or port is None
        self.env = dict(env or {})
        fd, name = tempfile.mkstemp(prefix="apilab-server-", suffix=".log")
        os.close(fd)
        self.log = Path(name)  # the process's stderr; removed by stop()
        self.started_file = self.log.with_suffix(".started")  # made by the process once it serves
        self.stopped = False
        self._spawn()

    def _spawn(self) -> None:
        self.log.write_bytes(b"")
        self.started_file.unlink(missing_ok=True)
        context = _context()
        lifeline, self._lifeline = context.Pipe(duplex=False)  # the server reads, this process holds
        self.process = context.Process(
            target=_serve, args=(str(self.folder), self.port, {**os.environ, **self.env},
                                 str(self.log), str(self.started_file), lifeline),
            name=f"uvicorn app:app in {self.folder}", daemon=True)
        self.process.start()
        lifeline.close()  # the server's copy is the only one left

    def running(self) -> bool:
        return self.process.is_alive()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_bytes().decode("utf-8", errors="replace")[-3000:]
        return ""

    def wait_ready(self, deadline: float) -> None:
        """Block until the server listens; ServerStartError if it exits or `deadline` passes."""
        while not self._ready_by(deadline):
            time.sleep(0.05)

    async def ready(self, deadline: float) -> None:
        """`wait_ready` for async code: other work goes on while the server starts."""
        while not self._ready_by(deadline):
            await asyncio.sleep(0.05)

    def _ready_by(self, deadline: float) -> bool:
        # Ready when the process says it serves, not when something answers on the port: another
        # program (another server of the same course check) may have taken the port first, and
        # answer there while this one exits with "address already in use"; and a connection to a
        # free port of the ephemeral range can even be answered by itself (a TCP self-connect).
        if self.started_file.exists() and self.process.is_alive():
            return True
        if not self.process.is_alive():
            if self.may_move and "address already in use" in self.stderr().lower():
                self.may_move = False
                self.port = free_port()
                self._lifeline.close()  # the server that exited had no more use for it
                self._spawn()
                return False
            raise ServerStartError(
                f"uvicorn app:app in {self.folder} exited with code {self.process.exitcode} "
                f"before listening on port {self.port}:\n{self.stderr()}")
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"uvicorn app:app in {self.folder} did not listen on port {self.port} in "
                f"time:\n{self.stderr()}")
        return False

    def stop(self) -> None:
        """End the server (SIGTERM, then SIGKILL after 5 s). Safe to call twice."""
        if self.stopped:
            return
        self.stopped = True
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
        self.process.join()
        self.process.close()
        self._lifeline.close()
        self.log.unlink(missing_ok=True)
        self.started_file.unlink(missing_ok=True)


def _serve(folder: str, port: int, env: dict[str, str], log: str, started: str,
           lifeline: Connection) -> None:
    """The server process: what `cd folder && python -m uvicorn app:app` would do, with `env`;
    the file `started` made once it listens and the app's startup has run. It ends itself as
    uvicorn ends on SIGTERM once `lifeline` closes: the process that started it has ended."""
    threading.Thread(target=_end_with, args=(lifeline,), daemon=True).start()
    os.dup2(os.open(log, os.O_WRONLY | os.O_APPEND), 2)
    os.dup2(os.open(os.devnull, os.O_RDWR), 0)
    os.dup2(0, 1)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(folder)
    sys.path.insert(0, folder)
    sys.dont_write_bytecode = True  # the folder may be the course's own solution/
    import uvicorn

    class Announced(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                Path(started).touch()

    server = Announced(uvicorn.Config("app:app", host="127.0.0.1", port=port, log_level="warning"))
    server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run does when the server could not start


def _end_with(lifeline: Connection) -> None:
    """Wait until the other end of `lifeline` closes (nothing is ever sent), then SIGTERM this
    process: uvicorn stops serving as it does on any SIGTERM, and a server still loading its app
    ends on the spot."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os.kill(os.getpid(), signal.SIGTERM)


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    return context


@contextlib.contextmanager
def serve_apps(folders: Sequence[Path], env: Mapping[str, str] | None = None) -> Iterator[list[str]]:
    """Serve every folder's `app:app` at once, each on its own free loopback port (with `env`
    added to their environment).

    Yields their base URLs in order once all accept connections; stops them all on exit.
    Starting them together makes a dozen mutants cost about as much as one server.
    """
    servers: list[AppServer] = []
    try:
        for folder, port in zip(folders, free_ports(len(folders)), strict=True):
            servers.append(AppServer(Path(folder), port, port_chosen_here=True, env=env))
        # Starting many at once shares the cores: allow each core's share of them the full time.
        deadline = time.monotonic() + START_TIMEOUT * max(1.0, len(servers) / (os.cpu_count() or 1))
        for server in servers:
            server.wait_ready(deadline)
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.stop()


@contextlib.contextmanager
def serve_app(folder: Path, port: int | None = None,
              env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run `python -m uvicorn app:app --host 127.0.0.1 --port P` in `folder`; yield its base URL.

    Waits until the server accepts connections. If it exits first (an import error, a taken
    port), `ServerStartError` carries its stderr. The server is stopped when the block ends.
    """
    server = AppServer(Path(folder), port, env=env)
    try:
        server.wait_ready(time.monotonic() + START_TIMEOUT)
        yield server.url
    finally:
        server.stop()
