"""One Jupyter server for the learner's notebooks, whose address (with its token) apilab knows.

apilab chooses Jupyter's port and token itself, so it can show the exact URL to open (over SSH
there is no browser to open it in) and reuse the running server for every notebook rather than
start a second one. The token goes through the environment (`JUPYTER_TOKEN`), which other users
of the machine cannot read, not the command line, which they can.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from apilab.ports import free_port
from apilab.processes import LaunchError, Output, Processes

START_TIMEOUT = 90.0  # Jupyter Lab takes seconds to start, more on a busy machine


class JupyterError(Exception):
    """Jupyter did not start; the message says why and where its log is."""


class JupyterServer:
    """A Jupyter server serving the notebooks under `root`, with SANDBOX_URL for its kernels."""

    def __init__(self, processes: Processes, root: Path, sandbox_url: str,
                 output: Output = "discard") -> None:
        self.processes, self.root, self.sandbox_url, self.output = processes, root, sandbox_url, output
        self.port = free_port()
        self.token = secrets.token_urlsafe(24)
        self.flavour = "lab" if importlib.util.find_spec("jupyterlab") else "notebook"
        self.child: subprocess.Popen[bytes] | None = None
        self.ready = False  # it answered; its URLs work

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, notebook: Path) -> str:
        """The address that opens `notebook` (under `root`) in this server, token included."""
        relative = quote(notebook.resolve().relative_to(self.root.resolve()).as_posix())
        page = "lab/tree" if self.flavour == "lab" else "notebooks"
        return f"{self.base_url}/{page}/{relative}?token={self.token}"

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "apilab.jupyter_app", self.flavour, "--no-browser",
                   "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
                   f"--ServerApp.root_dir={self.root}"]
        # Jupyter refuses to start as root (containers, some lab machines) unless told it may.
        return [*command, "--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else command

    @property
    def running(self) -> bool:
        return self.child is not None and self.child.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start Jupyter and return once it answers; JupyterError otherwise."""
        env = {**os.environ, "SANDBOX_URL": self.sandbox_url, "JUPYTER_TOKEN": self.token}
        try:
            child = self.processes.spawn(self.command(), kind="jupyter", cwd=self.root, env=env,
                                         output=self.output, port=self.port)
        except LaunchError as exc:
            raise JupyterError(f"Jupyter did not start: {exc}") from None
        self.child = child
        deadline = time.monotonic() + timeout
        # One client for the whole wait: httpx builds a TLS context for each client (about 20 ms
        # of CPU, loading every CA certificate), too much to pay at every poll.
        with httpx.Client(timeout=2, trust_env=False) as poll:
            while not self._answers(poll):
                if child.poll() is not None:
                    self.stop()
                    raise JupyterError(f"Jupyter exited with code {child.returncode} while "
                                       f"starting{self._log_note()}")
                if time.monotonic() > deadline:
                    self.stop()
                    raise JupyterError(f"Jupyter did not answer within {timeout:g} s"
                                       f"{self._log_note()}")
                time.sleep(0.2)
        self.ready = True

    def stop(self) -> None:
        """Stop Jupyter and its kernels. Safe to call twice."""
        child, self.child, self.ready = self.child, None, False
        if child is not None:
            self.processes.stop(child.pid)

    def wait(self) -> None:
        """Block until Jupyter ends (its web page's Shut Down, or a stop)."""
        if self.child is not None:
            self.child.wait()

    def _answers(self, poll: httpx.Client) -> bool:
        try:
            response = poll.get(f"{self.base_url}/api/status",
                                headers={"Authorization": f"token {self.token}"})
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def _log_note(self) -> str:
        return f"; its log: {self.output}" if isinstance(self.output, Path) else ""
