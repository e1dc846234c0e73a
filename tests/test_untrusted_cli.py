"""`apilab check` against a server that answers with terminal attacks, run as a learner runs it:
a real process on a pseudo-terminal (so the report is coloured, as on a real terminal). What
reaches the terminal carries the server's words, and nothing that drives the terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import hostile_servers as hs
from tests.helpers import FIXTURE_COURSE, HOSTILE, terminal_controls

APILAB = Path(sys.executable).parent / "apilab"


@pytest.fixture(scope="module")
def attacking_server():
    with hs.HostileServers({"attacks": hs.terminal_attacks(HOSTILE)}) as servers:
        yield servers.url("attacks")


def on_a_terminal(*args: str, timeout: float = 60) -> tuple[int, str]:
    """Run `apilab ARGS` with a pseudo-terminal as its stdout and stderr; its exit code and
    everything it wrote."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "APILAB_COURSE": str(FIXTURE_COURSE), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([str(APILAB), *args], stdin=subprocess.DEVNULL, stdout=terminal,
                               stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # EIO: the process closed its side
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        return process.wait(timeout=10), output.decode("utf-8", errors="replace")
    finally:
        process.kill()
        os.close(controller)


@pytest.mark.slow
@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_check_shows_what_a_hostile_server_sent_without_its_controls(attacking_server, verbose):
    code, output = on_a_terminal("check", "hello-api", "--url", attacking_server,
                                 *(["--verbose"] if verbose else []))
    assert code == 1, output
    assert "\x1b[31m" in output  # a terminal: the report is coloured
    assert "X-Evil:" in output and "OWNED" in output and "\\x9b2J" in output  # shown, escaped
    assert "[bold red]LOUD[/bold red]" in output
    assert terminal_controls(output.replace("\r\n", "\n")) == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "junit"])
def test_machine_formats_on_a_terminal_are_inert_too(attacking_server, fmt):
    code, output = on_a_terminal("check", "hello-api", "--url", attacking_server, "--format", fmt)
    assert code == 1, output
    assert "X-Evil" in output
    assert terminal_controls(output.replace("\r\n", "\n")) == []
