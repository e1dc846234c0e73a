"""A real hub in a child process, on a loopback port: for integration tests and benchmarks.

    with hub_process(db_path) as url:
        httpx.get(f"{url}/health")
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def hub_process(db_path: Path | str, rate_limit: int = 600, port: int | None = None,
                timeout: float = 20) -> Iterator[str]:
    """Run `apilab hub serve` on `db_path` (a file, or ":memory:") and yield its base URL once
    /health answers; stop it on exit."""
    port = port or free_port()
    command = [sys.executable, "-m", "apilab.hub.cli", "serve", "--port", str(port),
               "--rate-limit", str(rate_limit)]
    command += ["--memory"] if str(db_path) == ":memory:" else ["--db", str(db_path)]
    # a file, not a pipe: nobody reads a pipe while the hub runs, and a full one would block it
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, after the process)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=0.5, trust_env=False).status_code == 200:
                    break
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"the hub exited: {log.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the hub did not answer on {url} within {timeout} s")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
