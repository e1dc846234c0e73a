"""A real hub in a child process, on a loopback port: for integration tests and benchmarks.

    with hub_process(db_path) as url:
        httpx.get(f"{url}/health")

Without `users`, the child is `apilab hub serve`, exactly as a mentor runs it. With `users`
(name -> (role, token)), the child is this module's `__main__`, which adds them before serving:
the only way to give users to a `:memory:` hub, whose database no other process can reach.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from apilab import process_tree
from apilab.ports import free_port
from hub.auth import hash_token
from hub.settings import MEMORY, HubSettings

ATTEMPTS = 3  # ports picked here, one after another, when each is taken before the hub binds it


class PortTaken(RuntimeError):
    """The hub could not listen: its port was taken."""


@contextlib.contextmanager
def hub_process(db_path: Path | str, rate_limit: int = 600, port: int | None = None,
                users: dict[str, tuple[str, str]] | None = None, timeout: float = 20,
                trusted_proxies: tuple[str, ...] = (), public_url: str | None = None,
                limits: dict[str, int] | None = None) -> Iterator[str]:
    """Run a hub on `db_path` (a file, or ":memory:") and yield its base URL once /health
    answers; stop it on exit. `limits` sets other HubSettings (quotas, say; with `users`);
    `public_url` is `hub serve --public-url` (without `users`).

    Without `port`, the hub gets a free port; a port free a moment ago may be taken before the
    hub binds it (by another server, or by the local end of a connection another program makes),
    and the hub then starts again on another one."""

    def command(port: int) -> list[str]:
        if users is None:
            serve = [sys.executable, "-m", "hub.cli", "serve", "--port", str(port),
                     "--rate-limit", str(rate_limit)]
            serve += ["--memory"] if str(db_path) == MEMORY else ["--db", str(db_path)]
            for proxy in trusted_proxies:
                serve += ["--trusted-proxy", proxy]
            return serve + (["--public-url", public_url] if public_url else [])
        hashed = {name: (role, hash_token(token)) for name, (role, token) in users.items()}
        config = {"db_path": str(db_path), "port": port, "rate_limit": rate_limit,
                  "users": hashed, "trusted_proxies": list(trusted_proxies),
                  "limits": limits or {}}
        return [sys.executable, "-m", "hub.process", json.dumps(config)]

    for attempt in range(1, ATTEMPTS + 1):
        chosen = port or free_port()
        # a file, not a pipe: nobody reads a pipe while the hub runs, and a full one would block it
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _stop, after the process)
        # Stopped by the kernel if this process dies (a killed benchmark, a crashed test worker)
        process = process_tree.popen(command(chosen), stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{chosen}"
        try:
            _wait_until_healthy(url, process, log, timeout)
            break
        except PortTaken:
            _stop(process, log)
            if port is not None or attempt == ATTEMPTS:
                raise
        except BaseException:
            _stop(process, log)
            raise
    try:
        yield url
    finally:
        _stop(process, log)


def _stop(process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: IO[bytes],
                        timeout: float) -> None:
    """Return once the hub at `url` answers /health; RuntimeError if it exits or hangs. One
    client for the whole wait: httpx builds a TLS context for each client (about 20 ms of CPU,
    loading every CA certificate), too much to pay at every poll."""
    import httpx  # here, not at the top: the hub's own process (this module's __main__) never polls

    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=0.5, trust_env=False) as poll:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if poll.get(f"{url}/health").status_code == 200:
                    return
            if process.poll() is not None:
                log.seek(0)
                said = log.read().decode(errors="replace")
                taken = " is taken, " in said or "address already in use" in said.lower()
                raise (PortTaken if taken else RuntimeError)(f"the hub exited: {said}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the hub did not answer on {url} within {timeout} s")
            time.sleep(0.05)


def _serve_with_users(config: dict) -> None:
    from hub.cli import run_hub

    def add_users(app) -> None:
        for name, (role, token_hash) in config["users"].items():
            app.state.store.add_user(name, role, token_hash)

    settings = HubSettings(db_path=config["db_path"], rate_limit=config["rate_limit"],
                           trusted_proxies=tuple(config["trusted_proxies"]), **config["limits"])
    run_hub(settings, "127.0.0.1", config["port"], prepare=add_users)


if __name__ == "__main__":
    _serve_with_users(json.loads(sys.argv[1]))
