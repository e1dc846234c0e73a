"""Run the sandbox API in a child process on a loopback port.

Used by the terminal app, `apilab notebook`, `apilab verify` and the tests. The child's
output goes to a log file, never to the parent's terminal, where a full-screen app may be
drawing. It is started through `apilab.processes`, so it ends when its apilab does, however
that ends.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from apilab import process_tree
from apilab.ports import free_port, port_in_use
from apilab.processes import LaunchError, Processes

if TYPE_CHECKING:
    import httpx


class SandboxError(Exception):
    """The sandbox could not be started: its port is taken, or the process died or hung."""


class _PortTaken(Exception):
    """The sandbox's port was taken by another program."""


class SandboxProcess:
    """A sandbox server in a child process on a loopback port."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        seed: int = 42,
        log_path: Path | None = None,
        processes: Processes | None = None,
        labs: tuple[str, ...] = (),
        lab_secret_home: Path | None = None,
    ) -> None:
        self.host = host
        self.labs = labs  # vulnerable on purpose: switched on only when a lesson asks for one
        self.lab_secret_home = lab_secret_home
        self.port = port if port is not None else free_port(host)
        # A port picked here may be taken by another program before the server binds it; such a
        # sandbox moves to another free port instead of failing (a port asked for never moves).
        self._may_move = port is None
        self.seed = seed
        self.log_path = log_path  # a temporary file is chosen at start when None
        self._own_log = log_path is None
        self._process: subprocess.Popen[bytes] | None = None
        self._processes = processes or Processes()  # shared, so one stop_all ends them all
        self._health: httpx.Client | None = None  # made when first asked (see `healthy`)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 15) -> None:
        """Spawn the server and return once GET /health answers; SandboxError otherwise."""
        if self._process is not None and self._process.poll() is None:
            return
        for _attempt in range(3):
            try:
                self._start_once(timeout)
                return
            except _PortTaken:
                if not self._may_move:
                    raise SandboxError(self._port_taken_message()) from None
                self.port = free_port(self.host)
        raise SandboxError(self._port_taken_message())

    def _start_once(self, timeout: float) -> None:
        if port_in_use(self.host, self.port):
            raise _PortTaken
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix="apilab-sandbox-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        command = [
            sys.executable,
            "-m",
            "sandbox_api.server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--seed",
            str(self.seed),
            *(argument for lab in self.labs for argument in ("--lab", lab)),
        ]
        if self.labs and self.lab_secret_home is not None:
            command += ["--lab-secret-home", str(self.lab_secret_home)]
        try:
            self._process = self._processes.spawn(command, kind="sandbox", env=_child_environment(),
                                                  output=self.log_path, port=self.port)
        except LaunchError as exc:
            raise SandboxError(f"the sandbox did not start: {exc}") from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._fail_dead()
            # Its own answer: another sandbox that took the port first answers /health too.
            if self.healthy() and process_tree.listens(self._process.pid, self.port):
                return
            time.sleep(0.05)
        tail = self._log_tail()
        self.stop()
        raise SandboxError(
            f"the sandbox did not answer {self.url}/health within {timeout:g} s.\n{tail}"
        )

    def stop(self) -> None:
        """Stop the server: terminate, wait, kill if it lingers. Safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            self._processes.stop(process.pid)
        health, self._health = self._health, None
        if health is not None:
            health.close()
        if self._own_log and self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()
            self.log_path = None

    def healthy(self) -> bool:
        """True when the server answers GET /health with {"status": "ok"}."""
        import httpx  # the app's first screen does not wait for it: the sandbox starts after

        if self._process is None or self._process.poll() is not None:
            return False
        health = self._health
        if health is None:
            # One client for every question: httpx builds a TLS context for each client (about
            # 20 ms of CPU, loading every CA certificate), and the sandbox is asked every 50 ms
            # while it starts, then every few seconds while the app runs. trust_env=False: a
            # proxy from the environment must not intercept loopback calls.
            health = self._health = httpx.Client(timeout=1, trust_env=False)
        try:
            response = health.get(f"{self.url}/health")
            return response.status_code == 200 and response.json().get("status") == "ok"
        except (httpx.HTTPError, ValueError):
            return False
        except RuntimeError:  # `stop`, in another thread, closed the client meanwhile
            return False

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _fail_dead(self) -> None:
        assert self._process is not None
        code = self._process.returncode
        tail = self._log_tail()
        self.stop()
        if "address already in use" in tail.lower():
            raise _PortTaken
        raise SandboxError(f"the sandbox process exited with code {code} while starting.\n{tail}")

    def _port_taken_message(self) -> str:
        return (
            f"port {self.port} is already in use by another program; "
            "choose another with --port or stop that program"
        )

    def _log_tail(self, lines: int = 15) -> str:
        if self.log_path is None:
            return "(no log)"
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return f"(no log at {self.log_path})"
        tail = "\n".join(text.strip().splitlines()[-lines:])
        return f"last lines of its log ({self.log_path}):\n{tail}" if tail else "(its log is empty)"


def _child_environment() -> dict[str, str]:
    """The parent's environment, with the folder holding sandbox_api on PYTHONPATH so the
    child finds it even when the project is not installed."""
    env = dict(os.environ)
    spec = importlib.util.find_spec("sandbox_api")
    if spec and spec.origin:
        root = str(Path(spec.origin).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env
