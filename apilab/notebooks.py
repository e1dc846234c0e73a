"""Run a lesson notebook top to bottom against a sandbox, as `apilab verify` and the tests do.

The notebook reads the sandbox address from SANDBOX_URL, which is put in the environment of
the kernel (not of this process), so several notebooks can run against different sandboxes.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

KERNEL_NAME = "python3"


@dataclass(frozen=True)
class NotebookError:
    """A cell that failed: its 0-based index among all cells, and what it raised."""

    cell_index: int
    ename: str
    evalue: str


@dataclass(frozen=True)
class NotebookResult:
    path: Path
    cells_run: int
    errors: tuple[NotebookError, ...]  # the first error only, unless the run kept going
    duration: float  # seconds

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error(self) -> NotebookError | None:
        return self.errors[0] if self.errors else None

    def summary(self) -> str:
        if self.error is None:
            return f"{self.path.name}: {self.cells_run} cells ran in {self.duration:.1f} s"
        e = self.error
        return f"{self.path.name}: cell {e.cell_index + 1} raised {e.ename}: {e.evalue}"


def run_notebook(path: Path, sandbox_url: str, timeout: int = 60) -> NotebookResult:
    """Execute every cell of `path` in a fresh `python3` kernel whose SANDBOX_URL is
    `sandbox_url`, stopping at the first error. `timeout` bounds each cell, in seconds.
    The notebook file is not modified."""
    return execute(nbformat.read(path, as_version=4), path, sandbox_url, timeout)


def execute(notebook: nbformat.NotebookNode, path: Path, sandbox_url: str, timeout: int = 60,
            keep_going: bool = False) -> NotebookResult:
    """Execute `notebook` (which gets the outputs) as if it were the file `path`: the kernel
    starts in `path`'s folder. Stops at the first error, unless `keep_going`: then every cell
    runs and the result lists every cell that raised.

    Blocks until the kernel is shut down: async code calls it in a thread (`asyncio.to_thread`),
    and several may run at once, each in its own thread."""
    # nbclient and jupyter_client run their coroutines on an event loop that jupyter_core keeps in
    # a context variable, and a thread started by asyncio.to_thread inherits its starter's
    # context: notebooks run at once in such threads would all be handed the loop of whatever
    # ran a notebook first in the starting thread ("This event loop is already running"). Each
    # run gets a fresh context, so a loop of its own, closed when it ends.
    return contextvars.Context().run(_in_own_loop, notebook, path, sandbox_url, timeout, keep_going)


def _in_own_loop(notebook: nbformat.NotebookNode, path: Path, sandbox_url: str, timeout: int,
                 keep_going: bool) -> NotebookResult:
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()  # new: the context is new (unless a loop runs in this thread)
    try:
        return _execute(notebook, path, sandbox_url, timeout, keep_going)
    finally:
        if not loop.is_running():  # made for this run, not a caller's
            loop.close()
            asyncio.set_event_loop(None)


def _execute(notebook: nbformat.NotebookNode, path: Path, sandbox_url: str, timeout: int,
             keep_going: bool) -> NotebookResult:
    for cell in notebook.cells:  # outputs saved in a learner's copy are not this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    started = time.monotonic()
    stopped: NotebookError | None = None
    # Unix-socket (IPC) transport: the kernel is reachable by this user only, and does not warn
    # about plain-text TCP on every run.
    with tempfile.TemporaryDirectory(prefix="apilab-kernel-") as sockets:
        kernel = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(Path(sockets) / "k"))
        client = NotebookClient(
            notebook,
            km=kernel,
            timeout=timeout,
            allow_errors=keep_going,
            resources={"metadata": {"path": str(path.parent)}},  # the kernel's working directory
        )
        try:
            client.execute(env={**os.environ, "SANDBOX_URL": sandbox_url})
        except CellExecutionError as exc:  # the cell's error output says more, when it has one
            stopped = NotebookError(_last_started(notebook), exc.ename, exc.evalue)
        except CellTimeoutError as exc:
            stopped = NotebookError(_last_started(notebook), "CellTimeoutError", str(exc).strip())
        except DeadKernelError as exc:
            stopped = NotebookError(_last_started(notebook), "DeadKernelError", str(exc).strip())
        finally:
            if kernel.has_kernel:  # a kernel manager we pass in is ours to shut down
                kernel.shutdown_kernel(now=True)
    errors = _cell_errors(notebook)
    if stopped and not any(e.cell_index == stopped.cell_index for e in errors):
        errors.append(stopped)
    cells_run = sum(1 for c in notebook.cells if c.cell_type == "code" and c.get("execution_count"))
    return NotebookResult(path=path, cells_run=cells_run, errors=tuple(errors),
                          duration=time.monotonic() - started)


def _cell_errors(notebook: nbformat.NotebookNode) -> list[NotebookError]:
    return [NotebookError(index, output.get("ename", "Error"), output.get("evalue", ""))
            for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for output in cell.get("outputs", []) if output.get("output_type") == "error"]


def _last_started(notebook: nbformat.NotebookNode) -> int:
    """The index of the last code cell that started (the one a timeout or a dead kernel stopped)."""
    started = [index for index, cell in enumerate(notebook.cells)
               if cell.cell_type == "code" and (cell.get("execution_count") or cell.get("outputs"))]
    return started[-1] if started else -1
