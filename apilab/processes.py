"""The programs the terminal app starts for the learner, and how it stops them all on quit.

No Textual here: this is plain process handling that the screens call. Every child gets its own
process group so that stopping it also stops what it spawned (uvicorn's reloader and worker,
Jupyter's kernels), and the app stops every child it started when it quits, even on a crash.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from apilab.catalog.models import Course, Exercise
from apilab.workspace import WorkspaceError, start_workspace


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


def server_command(port: int, reload: bool = True) -> list[str]:
    """How the app runs a learner's Python server from inside its workspace."""
    command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
               "--port", str(port)]
    return [*command, "--reload"] if reload else command


class Processes:
    """Every child process the app started, so that quitting can stop them all."""

    def __init__(self) -> None:
        self._children: list[subprocess.Popen[bytes]] = []

    def spawn(self, command: Sequence[str], *, cwd: Path | None = None,
              env: dict[str, str] | None = None, log_path: Path | None = None,
              pipe_output: bool = False) -> subprocess.Popen[bytes]:
        """Start `command` detached from the terminal. Its output goes to `log_path`, or to a
        pipe the caller reads (`child.stdout`) with `pipe_output`, or nowhere."""
        no_file = subprocess.PIPE if pipe_output else subprocess.DEVNULL
        log = open(log_path, "ab") if log_path else no_file  # noqa: SIM115 (closed below)
        try:
            child = subprocess.Popen(
                list(command), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        except OSError as exc:
            raise LaunchError(f"could not run {command[0]}: {exc.strerror or exc}") from None
        finally:
            if log_path:
                log.close()  # type: ignore[union-attr]
        self._children.append(child)
        return child

    def running(self) -> list[int]:
        return [child.pid for child in self._children if child.poll() is None]

    def stop(self, pid: int) -> None:
        """Stop one child and its process group: terminate, then kill if it lingers."""
        for child in list(self._children):
            if child.pid == pid:
                _stop(child)
                self._children.remove(child)

    def stop_all(self) -> None:
        """Stop every child still running. Safe to call more than once."""
        for child in self._children:
            _stop(child)
        self._children.clear()


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    _signal_group(child.pid, signal.SIGTERM)
    try:
        child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        _signal_group(child.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # The child leads its own session (start_new_session), so its group id is its pid.
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
