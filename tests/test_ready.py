"""`apilab check` beside `apilab serve`: handed to a ready process, it prints, exits and stops as
the same command run alone does, and falls back to running alone when the ready process is
another apilab's or gone.

The ready processes are real (`python -m apilab.ready`, kept by `ReadyProcesses` as `apilab
serve` keeps them); the command line is the real `python -m apilab`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.processes import Processes
from apilab.ready import ReadyProcesses, folder
from tests.helpers import FIXTURE_COURSE
from tests.hostile_servers import HostileServers, slow_ok
from tests.terminal import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="POSIX sockets")]

DURATIONS = re.compile(r"\d+(\.\d+)? ?(ms|s)\b")


def env_for(home: Path) -> dict[str, str]:
    return {**os.environ, "APILAB_HOME": str(home), "APILAB_COURSE": str(FIXTURE_COURSE)}


def apilab(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "apilab", *args], env=env_for(home),
                          capture_output=True, text=True, timeout=120)


def sockets(home: Path) -> set[Path]:
    return set((home / "ready").glob("*.sock"))


@pytest.fixture
def ready_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An APILAB_HOME with a ready process waiting in it, kept as `apilab serve` keeps one."""
    home = tmp_path / "ready-home"
    for name, value in env_for(home).items():
        monkeypatch.setenv(name, value)
    processes = Processes()
    ready = ReadyProcesses(processes, home)
    ready.start()
    try:
        wait_until(lambda: len(sockets(home)) == 1, 60, lambda: "no ready process listens")
        yield home
    finally:
        ready.stop()
        processes.stop_all(final=True)


def taken(home: Path, before: set[Path]) -> bool:
    """The ready process that waited took the command: its socket is gone."""
    return not (before & sockets(home))


def test_a_check_runs_in_the_ready_process_as_it_runs_alone(ready_home, tmp_path, hello_solution_url):
    waiting = sockets(ready_home)
    there = apilab(ready_home, "check", "hello-api", "--url", hello_solution_url, "--seed", "7")
    assert taken(ready_home, waiting), "the ready process ran it"
    alone = apilab(tmp_path / "alone", "check", "hello-api", "--url", hello_solution_url,
                   "--seed", "7")
    assert there.returncode == alone.returncode == 0, there.stdout + there.stderr
    assert "passed" in there.stdout
    assert DURATIONS.sub("T", there.stdout) == DURATIONS.sub("T", alone.stdout)
    # The next one is made as soon as the last is taken.
    wait_until(lambda: len(sockets(ready_home)) == 1, 60, lambda: "no next ready process")


def test_errors_and_exit_statuses_come_back_as_they_are(ready_home, hello_solution_url):
    waiting = sockets(ready_home)
    result = apilab(ready_home, "check", "hello-api", "--url", hello_solution_url, "--only", "nope")
    assert taken(ready_home, waiting)
    assert result.returncode == 2
    assert "Invalid value for --only" in result.stderr and "python -m apilab check" in result.stderr


def test_ctrl_c_stops_the_command_in_the_ready_process_as_it_stops_it_alone(ready_home, tmp_path):
    def interrupted(home: Path, url: str) -> tuple[int, str]:
        before, served = sockets(home), servers.serving()
        command = subprocess.Popen([sys.executable, "-m", "apilab", "check", "hello-api", "--url",
                                    url], env=env_for(home), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        # Interrupted while it grades (the server takes 30 s to answer), however long a command
        # started alone takes to get there on a busy machine.
        wait_until(lambda: servers.serving() > served, 60, lambda: "no request reached the server")
        time.sleep(0.3)
        if home == ready_home:
            assert taken(home, before)
        command.send_signal(signal.SIGINT)
        out, err = command.communicate(timeout=30)
        return command.returncode, DURATIONS.sub("T", out + err)

    with HostileServers({"slow": slow_ok(30)}) as servers:
        alone = interrupted(tmp_path / "alone", servers.url("slow"))
        there = interrupted(ready_home, servers.url("slow"))
    assert there == alone and there[0] != 0
    # The ready process that ran it has ended; only the next one waits.
    wait_until(lambda: len(running_ready(ready_home)) == 1, 30, lambda: "the taken one lingers")


def running_ready(home: Path) -> list[int]:
    import psutil

    return [p.pid for p in psutil.process_iter(["cmdline", "environ"])
            if "apilab.ready" in " ".join(p.info["cmdline"] or [])
            and (p.info["environ"] or {}).get("APILAB_HOME") == str(home)]


def bound(path: Path) -> socket.socket:
    """A socket bound at `path` (by its name, from its folder: the test's folders are deeper
    than a socket's address may be long)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    back = os.getcwd()
    os.chdir(path.parent)
    try:
        listener.bind(path.name)
    finally:
        os.chdir(back)
    return listener


@contextlib.contextmanager
def impostor(home: Path, reply: dict) -> Iterator[threading.Thread]:
    """A socket where a ready process would wait, answering `reply` and hanging up: what an
    apilab of other code (or one that died mid-run) looks like to the command line."""
    listener = bound(folder(home) / "impostor.sock")
    listener.listen(1)

    def answer() -> None:
        connection, _ = listener.accept()
        with connection:
            _marker, descriptors, _, _ = socket.recv_fds(connection, 1, 3)
            for descriptor in descriptors:
                os.close(descriptor)
            connection.makefile("rb").readline()
            connection.sendall(json.dumps(reply).encode() + b"\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        listener.close()


def test_a_ready_process_of_other_code_is_passed_by(tmp_path, hello_solution_url):
    home = tmp_path / "home"
    with impostor(home, {"declined": "another apilab"}) as answered:
        result = apilab(home, "check", "hello-api", "--url", hello_solution_url)
        answered.join(5)
    assert not answered.is_alive(), "it asked"
    assert result.returncode == 0 and "passed" in result.stdout, result.stdout + result.stderr


def test_a_ready_process_that_dies_mid_run_is_said(tmp_path, hello_solution_url):
    home = tmp_path / "home"
    with impostor(home, {"pid": 2**22 + 1}):
        result = apilab(home, "check", "hello-api", "--url", hello_solution_url)
    assert result.returncode == 1
    assert "ended before it finished; run it again" in result.stderr


def test_a_socket_left_by_a_dead_ready_process_is_cleared(tmp_path, hello_solution_url):
    home = tmp_path / "home"
    left = folder(home) / "dead.sock"
    bound(left).close()  # bound, never listening: connecting is refused, as to a dead process's
    result = apilab(home, "check", "hello-api", "--url", hello_solution_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not left.exists()


def test_stopped_while_it_waits_it_takes_its_socket_with_it(tmp_path):
    home = tmp_path / "home"
    path = folder(home) / "stopped.sock"
    waiting = subprocess.Popen([sys.executable, "-m", "apilab.ready", str(path)],
                               env=env_for(home), stdout=subprocess.DEVNULL)
    wait_until(path.exists, 60, lambda: "the ready process never listened")
    waiting.send_signal(signal.SIGTERM)
    assert waiting.wait(30) == 128 + signal.SIGTERM
    assert list(folder(home).iterdir()) == []


def test_a_second_stop_cannot_cut_the_clean_up_short():
    # `apilab serve` stops what it started with SIGTERM to the process and to its group: two
    # signals, close together. The second once came during the clean-up the first began, and
    # left the socket behind (seen once in a full run); the first now ignores those after it.
    from apilab.ready import _Stopped, _stopped_waiting

    before = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(_Stopped) as ended:
            _stopped_waiting(signal.SIGTERM, None)
        assert ended.value.args == (128 + signal.SIGTERM,)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, before)
