"""The app grades in a process of its own, started at its first run and kept warm for the next.

Grading is CPU-bound Python (the probes draw their examples, the wire reads every byte), and
Python runs one thread at a time: in the app's own process a run shares the interpreter with
Textual drawing the screen, and both slow down (measured, a run took a quarter longer there than
in a process of its own). So the app hands each run to a child process that has loaded the
grader and readied Hypothesis once: it sends back each check's progress as it goes, and the
report at the end. The app's `r` then costs what `apilab check` costs, without the start of a
new interpreter, and the screen stays smooth while the server is graded.

What the child writes goes to a log file, never to the terminal the app draws on. A run the app
stops (the learner pressed `r` again, or a save in watch mode started a new one) is stopped in
the child too. The child ends with the app however the app ends, `kill -9` included: it reads
the app's end of the pipe all along, and leaves when it closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import pickle
import signal
import socket
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from apilab.catalog.models import Exercise
    from grader.report import Report
    from grader.runner import Progress


class GradingProcessError(RuntimeError):
    """The grading process ended in the middle of a run; the message says where its log is."""


class GradingProcess:
    """One child process that grades, run after run (`grade`), until `stop`."""

    def __init__(self) -> None:
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None
        self._runs: dict[int, Callable[[tuple[Any, ...]], None]] = {}  # run id: where its messages go
        self._ids = itertools.count(1)
        self._sending = threading.Lock()
        self.log: Path | None = None

    async def grade(self, exercise: Exercise, url: str, *,
                    on_progress: Callable[[Progress], None] | None = None,
                    **options: Any) -> Report:
        """`grader.runner.grade(exercise, url, **options)` in the child: the same report, the
        same errors raised (a URL the grader may not use raises `TargetError` here too)."""
        loop = asyncio.get_running_loop()
        messages: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        run = next(self._ids)
        self._runs[run] = lambda message: loop.call_soon_threadsafe(messages.put_nowait, message)
        try:
            self._send(("grade", run, exercise, url, options))
            while True:
                kind, payload = await messages.get()
                if kind == "progress":
                    if on_progress is not None:
                        on_progress(payload)
                elif kind == "report":
                    return payload
                else:  # "raised": the error grade() raised there
                    raise payload
        except asyncio.CancelledError:
            with contextlib.suppress(OSError, ValueError):
                self._send(("cancel", run))
            raise
        finally:
            self._runs.pop(run, None)

    @property
    def pid(self) -> int | None:
        """The child's process id, while it runs."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def stop(self) -> None:
        """End the child (it stops at once: a run in it is abandoned). Safe to call twice."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            _hang_up(connection)  # the child sees the pipe close and leaves
        if process is not None:
            process.join(3)
            if process.is_alive():
                process.kill()
                process.join()
        if self.log is not None:
            self.log.unlink(missing_ok=True)
            self.log = None

    def _send(self, message: tuple[Any, ...]) -> None:
        with self._sending:
            if self._process is None or not self._process.is_alive():
                self._start()
            assert self._connection is not None
            self._connection.send(message)

    def _start(self) -> None:
        self.stop()
        fd, name = tempfile.mkstemp(prefix="apilab-grading-", suffix=".log")
        os.close(fd)
        self.log = Path(name)
        ours, theirs = multiprocessing.Pipe()
        # A fresh interpreter, not a fork: the app's threads and Textual's state stay behind.
        process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(theirs, name), name="apilab grading", daemon=True)
        # Starting it may start multiprocessing's resource tracker, which hands its child the
        # fd of sys.stderr: inside the app that is Textual's capture, whose fd is -1, and the
        # start would fail. Both get the log instead, which is also where they should write.
        with open(name, "a") as log, contextlib.redirect_stderr(log):
            process.start()
        theirs.close()
        self._process, self._connection = process, ours
        threading.Thread(target=self._read, args=(process, ours), name="grading-replies",
                         daemon=True).start()

    def _read(self, process: multiprocessing.process.BaseProcess, connection: Connection) -> None:
        """Hand each message from the child to the run it belongs to (a run stopped meanwhile
        has none); when the child is gone, fail the runs still waiting."""
        while True:
            try:
                run, kind, payload = connection.recv()
            except (EOFError, OSError):
                break
            if (deliver := self._runs.get(run)) is not None:
                deliver((kind, payload))
        if self._connection is not connection:
            return  # stopped on purpose, or replaced by a new child
        process.join(1)
        error = GradingProcessError(
            f"The grading process ended (exit code {process.exitcode}) in the middle of the "
            f"run; what it wrote is in {self.log}. Press r to run the checks again.")
        for deliver in list(self._runs.values()):
            deliver(("raised", error))


def _hang_up(connection: Connection) -> None:
    """Close the app's end of the pipe so that both its reader and the child see it closed.
    Closing alone is not enough: while the thread of `_read` waits in a read on it, the socket
    stays open until that read returns, which it would not; the child would see nothing, and
    be killed after `stop` waited 3 s for it (at every quit of an app that had graded)."""
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(connection.fileno())) as end:
        end.shutdown(socket.SHUT_RDWR)
    connection.close()


# --- the child --------------------------------------------------------------------------------


def _serve(connection: Connection, log: str) -> None:
    """The child: grade each run asked for, until the app's end of the pipe closes."""
    output = os.open(log, os.O_WRONLY | os.O_APPEND)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the app's to handle
    asyncio.run(_grade_each(connection))


async def _grade_each(connection: Connection) -> None:
    from grader.contract import explore
    from grader.runner import grade

    loop = asyncio.get_running_loop()
    asked: asyncio.Queue[tuple[Any, ...] | None] = asyncio.Queue()
    runs: dict[int, asyncio.Task[None]] = {}

    def listen() -> None:
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                loop.call_soon_threadsafe(asked.put_nowait, None)
                return
            loop.call_soon_threadsafe(asked.put_nowait, message)

    def reply(run: int, kind: str, payload: Any) -> None:
        with contextlib.suppress(OSError):
            connection.send((run, kind, payload))

    async def graded(run: int, exercise: Exercise, url: str, options: dict[str, Any]) -> None:
        def progress(update: Progress) -> None:
            reply(run, "progress", update)

        try:
            reply(run, "report", await grade(exercise, url, on_progress=progress, **options))
        except Exception as error:  # noqa: BLE001 - raised again in the app
            traceback.print_exc()
            reply(run, "raised", error if _picklable(error) else RuntimeError(repr(error)))

    threading.Thread(target=listen, name="grading-requests", daemon=True).start()
    try:
        explore.prepare()  # Hypothesis ready before the first run rather than during it
    except Exception:  # noqa: BLE001 - the first run meets it again, and reports it
        traceback.print_exc()
    while (message := await asked.get()) is not None:
        kind, run, *rest = message
        if kind == "grade":
            runs[run] = asyncio.create_task(graded(run, *rest))
            runs[run].add_done_callback(lambda _task, run=run: runs.pop(run, None))
        elif kind == "cancel" and run in runs:
            runs[run].cancel()


def _picklable(error: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any failure means: send its repr instead
        return False
    return True
