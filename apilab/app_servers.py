"""Build an exercise's starter, solution or mutant, and serve it on loopback.

`materialize` writes one runnable copy of an exercise (a mutant is the solution with its edits
applied); `AppServer` runs its `app:app` with uvicorn on a loopback port, and `serve_app` and
`serve_apps` do so for as long as a `with` block lasts. `apilab verify` and the tests grade what
they serve. A server's environment may carry the URLs of the services it needs (`SANDBOX_URL`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Literal

from apilab.catalog.models import Exercise, Mutant
from apilab.ports import free_port, free_ports

START_TIMEOUT = 20.0


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
    """One `uvicorn app:app` child process, its port and its captured stderr.

    `env` is added to the child's environment (the services' URLs, say). Started on creation;
    `wait_ready` (or `ready`, from async code) waits until it listens, `stop` ends it.
    """

    def __init__(self, folder: Path, port: int | None, *, port_chosen_here: bool = False,
                 env: Mapping[str, str] | None = None) -> None:
        # A port picked here may be taken by another program before uvicorn binds it; such a
        # server is started once more on a new port rather than failing the course check.
        self.folder, self.port = folder, port or free_port()
        self.may_move = port_chosen_here or port is None
        self.env = dict(env or {})
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self._spawn()

    def _spawn(self) -> None:
        self.log.seek(0)
        self.log.truncate()
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=self.folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def listening(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
            return True
        return False

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", errors="replace")[-3000:]

    def wait_ready(self, deadline: float) -> None:
        """Block until the server listens; ServerStartError if it exits or `deadline` passes."""
        while not self._ready_by(deadline):
            time.sleep(0.05)

    async def ready(self, deadline: float) -> None:
        """`wait_ready` for async code: other work goes on while the server starts."""
        while not self._ready_by(deadline):
            await asyncio.sleep(0.05)

    def _ready_by(self, deadline: float) -> bool:
        if self.listening():
            return True
        if self.process.poll() is not None:
            if self.may_move and "address already in use" in self.stderr().lower():
                self.may_move = False
                self.port = free_port()
                self._spawn()
                return False
            raise ServerStartError(
                f"uvicorn app:app in {self.folder} exited with code {self.process.returncode} "
                f"before listening on port {self.port}:\n{self.stderr()}")
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"uvicorn app:app in {self.folder} did not listen on port {self.port} in "
                f"time:\n{self.stderr()}")
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


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
