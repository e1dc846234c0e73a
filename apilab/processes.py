"""The programs an apilab process starts for the learner, and how they all end with it.

No Textual here: the app, `apilab serve`, `apilab notebook` and the sandbox all start programs
through `Processes`. Each program runs in a session of its own with a parent-death signal and a
tag in its environment (see `apilab.process_tree`), and is recorded under APILAB_HOME (see
`apilab.launches`). `stop_all()` stops every program with all it spawned, and
`ending_on_signals()` makes SIGHUP (a closed terminal, a dropped SSH connection) and SIGTERM end
apilab through that same path.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from apilab import launches, process_tree
from apilab.workspace import WorkspaceError, start_workspace

if TYPE_CHECKING:  # annotations only: the app's first screen needs no pydantic
    from apilab.catalog.models import Course, Exercise

Output = Literal["discard", "pipe", "inherit"] | Path


class LaunchError(Exception):
    """A program could not be started. The message says why and what to do."""


def ensure_workspace(course: Course, exercise: Exercise) -> tuple[Path, bool]:
    """The learner's workspace for `exercise`, copied from the starter if missing.

    Returns the folder and whether it was just created. An existing workspace is never touched.
    """
    try:
        workspace = start_workspace(course, exercise)
    except WorkspaceError as exc:
        raise LaunchError(str(exc)) from None
    return workspace.path, workspace.created


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    launch: launches.Launch
    record: Path


class Processes:
    """Every program one apilab process started, so that it can stop them all."""

    def __init__(self) -> None:
        self._children: list[_Child] = []
        self._lock = threading.RLock()  # a signal handler may stop all while spawn holds it
        self._closed = False
        atexit.register(self.stop_all)

    @functools.cached_property
    def _owner(self) -> tuple[int, float | None]:
        """This process and when it started: what a launch record names as its owner. Asked at
        the first launch, not before the app's first screen (it loads psutil)."""
        return os.getpid(), process_tree.identity(os.getpid())

    def spawn(self, command: Sequence[str], *, kind: str, cwd: Path | None = None,
              env: dict[str, str] | None = None, output: Output = "discard",
              port: int | None = None, exercise: str | None = None) -> subprocess.Popen[bytes]:
        """Start `command`, with no terminal input, in a session of its own, and record it.

        Its output goes to a log file (a Path, appended to), to a pipe the caller reads
        (`child.stdout`), to this process's own output ("inherit"), or nowhere ("discard").
        """
        if self._closed:
            raise LaunchError("apilab is stopping; nothing new is started")
        launch_id = uuid.uuid4().hex[:12]
        environment = {**(env if env is not None else os.environ), process_tree.TAG: launch_id}
        try:
            with _output_stream(output) as stream:
                child = process_tree.popen(
                    list(command), cwd=cwd, env=environment, stdin=subprocess.DEVNULL,
                    stdout=stream, stderr=subprocess.STDOUT)
        except OSError as exc:
            raise LaunchError(f"could not run {command[0]}: {exc.strerror or exc}") from None
        launch = launches.Launch(
            id=launch_id, kind=kind, command=list(command), cwd=str(cwd) if cwd else None,
            port=port, pid=child.pid, pgid=child.pid, exercise=exercise,
            started_at=datetime.now().astimezone().isoformat(timespec="seconds"),
            owner_pid=self._owner[0], owner_started=self._owner[1])
        with self._lock:
            self._children.append(_Child(child, launch, launches.record(launch)))
        return child

    def running(self) -> list[int]:
        with self._lock:
            return [c.process.pid for c in self._children if c.process.poll() is None]

    def launch_of(self, pid: int) -> launches.Launch | None:
        with self._lock:
            return next((c.launch for c in self._children if c.process.pid == pid), None)

    def stop(self, pid: int) -> None:
        """Stop one program and everything it spawned: SIGTERM, then SIGKILL if it lingers."""
        with self._lock:
            found = [c for c in self._children if c.process.pid == pid]
            self._children = [c for c in self._children if c.process.pid != pid]
        for child in found:
            _stop(child)

    def stop_all(self, final: bool = False) -> None:
        """Stop every program still running. Safe to call more than once, from any thread.
        With `final`, nothing more can be started (apilab is ending)."""
        with self._lock:
            self._closed = self._closed or final
            children, self._children = self._children, []
        for child in children:
            _stop(child)


def _stop(child: _Child) -> None:
    process_tree.stop(child.process, child.launch.id)
    launches.forget(child.record)


@contextlib.contextmanager
def _output_stream(output: Output) -> Iterator[int | None]:
    if isinstance(output, Path):
        output.parent.mkdir(parents=True, exist_ok=True)
        with open(output, "ab") as log:
            yield log.fileno()
        return
    yield {"discard": subprocess.DEVNULL, "pipe": subprocess.PIPE, "inherit": None}[output]


ENDING_SIGNALS = (signal.SIGHUP, signal.SIGTERM)


def exit_soon(code: int, delay: float) -> None:
    """End this process with `code` in `delay` seconds, if it has not ended by then: after an
    ending signal, a closed terminal or a `kill` must end apilab, and a thread that does not end,
    or a library's clean-up, could otherwise hold its unwinding forever."""
    timer = threading.Timer(delay, os._exit, [code])
    timer.daemon = True  # it does not hold the process up itself
    timer.start()


@contextlib.contextmanager
def ending_on_signals(on_signal: Callable[[int], None],
                      signals: Sequence[signal.Signals] = ENDING_SIGNALS) -> Iterator[None]:
    """Within the block, call `on_signal(signum)` on SIGHUP (the terminal closed, an SSH
    connection dropped) and SIGTERM, whose default action would end apilab on the spot, past
    every `finally`. The previous handlers come back afterwards. Main thread only."""
    previous = {sig: signal.signal(sig, lambda signum, _frame: on_signal(signum))
                for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
