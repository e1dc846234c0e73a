"""Run a lesson notebook top to bottom against a sandbox, as `apilab verify` and the tests do.

The notebook reads the sandbox address from SANDBOX_URL, which is put in the environment of
the kernel (not of this process), so several notebooks can run against different sandboxes.
"""

from __future__ import annotations

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
    """The first cell that failed: its 0-based index among all cells, and what it raised."""

    cell_index: int
    ename: str
    evalue: str


@dataclass(frozen=True)
class NotebookResult:
    path: Path
    ok: bool
    cells_run: int
    error: NotebookError | None
    duration: float  # seconds

    def summary(self) -> str:
        if self.error is None:
            return f"{self.path.name}: {self.cells_run} cells ran in {self.duration:.1f} s"
        e = self.error
        return f"{self.path.name}: cell {e.cell_index} raised {e.ename}: {e.evalue}"


def run_notebook(path: Path, sandbox_url: str, timeout: int = 60) -> NotebookResult:
    """Execute every cell of `path` in a fresh `python3` kernel whose SANDBOX_URL is
    `sandbox_url`, stopping at the first error. `timeout` bounds each cell, in seconds.
    The notebook file is not modified."""
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    error: NotebookError | None = None
    # Unix-socket (IPC) transport: the kernel is reachable by this user only, and does not warn
    # about plain-text TCP on every run.
    with tempfile.TemporaryDirectory(prefix="apilab-kernel-") as sockets:
        kernel = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(Path(sockets) / "k"))
        client = NotebookClient(
            notebook,
            km=kernel,
            timeout=timeout,
            resources={"metadata": {"path": str(path.parent)}},  # the kernel's working directory
        )
        try:
            client.execute(env={**os.environ, "SANDBOX_URL": sandbox_url})
        except CellExecutionError as exc:
            error = NotebookError(_failed_cell(notebook), exc.ename, exc.evalue)
        except CellTimeoutError as exc:
            error = NotebookError(_failed_cell(notebook), "CellTimeoutError", str(exc).strip())
        except DeadKernelError as exc:
            error = NotebookError(_failed_cell(notebook), "DeadKernelError", str(exc).strip())
        finally:
            if kernel.has_kernel:  # a kernel manager we pass in is ours to shut down
                kernel.shutdown_kernel(now=True)
    cells_run = sum(1 for c in notebook.cells if c.cell_type == "code" and c.get("execution_count"))
    return NotebookResult(
        path=path,
        ok=error is None,
        cells_run=cells_run,
        error=error,
        duration=time.monotonic() - started,
    )


def _failed_cell(notebook: nbformat.NotebookNode) -> int:
    """The index of the cell with an error output, or else the last cell that started."""
    last_started = -1
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return index
        if cell.get("execution_count") or cell.get("outputs"):
            last_started = index
    return last_started
