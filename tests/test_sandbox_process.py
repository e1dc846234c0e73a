"""SandboxProcess: start, health, clean stop, and clear errors when it cannot start."""

from __future__ import annotations

import os
import socket

import httpx
import pytest

from apilab.ports import free_port
from apilab.sandbox_process import SandboxError, SandboxProcess

pytestmark = pytest.mark.slow


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is gone for our purpose if it is no longer running
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_start_serves_and_stop_leaves_no_process(tmp_path):
    log = tmp_path / "logs" / "sandbox.log"  # a folder that does not exist yet
    sandbox = SandboxProcess(seed=3, log_path=log)
    sandbox.start()
    pid = sandbox.pid
    assert pid is not None and process_exists(pid)
    assert sandbox.healthy()
    assert httpx.get(f"{sandbox.url}/books/1", trust_env=False).status_code == 200
    sandbox.stop()
    assert not process_exists(pid)
    assert not sandbox.healthy()
    assert log.exists()  # a log the caller chose is kept


def test_a_health_question_that_meets_a_stop_is_an_answer_not_an_error():
    # The app asks from a thread whether the sandbox is healthy while another may stop it; the
    # stop closes the client the question goes through, and the answer is then "not healthy".
    with SandboxProcess() as sandbox:
        assert sandbox.healthy()
        sandbox._health.close()  # as `stop` does, between the question's start and its request
        assert not sandbox.healthy()


def test_stop_is_idempotent_and_safe_before_start():
    sandbox = SandboxProcess()
    sandbox.stop()
    with sandbox:
        url = sandbox.url
    sandbox.stop()
    sandbox.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health", timeout=2, trust_env=False)


def test_a_port_in_use_is_a_clear_error():
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        port = other_program.getsockname()[1]
        with pytest.raises(SandboxError) as caught:
            SandboxProcess(port=port).start()
    message = str(caught.value)
    assert f"port {port} is already in use by another program" in message
    assert "--port" in message


def test_the_seed_changes_the_data(sandbox_url):
    with SandboxProcess(seed=7) as other:
        theirs = httpx.get(f"{other.url}/books/1", trust_env=False).json()
        assert theirs != httpx.get(f"{sandbox_url}/books/1", trust_env=False).json()


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_a_dying_process_reports_its_log(monkeypatch):
    sandbox = SandboxProcess(seed=1)
    monkeypatch.setattr("sys.executable", "/bin/false")
    with pytest.raises(SandboxError, match="exited with code 1"):
        sandbox.start(timeout=5)
    assert sandbox.pid is None


def test_another_sandbox_answering_on_the_port_is_not_taken_for_ours(sandbox_url, monkeypatch):
    # Two apps starting at once both find the port free; the one that loses must not take the
    # winner's /health answer for its own sandbox's.
    port = int(sandbox_url.rsplit(":", 1)[1])
    monkeypatch.setattr("apilab.sandbox_process.port_in_use", lambda host, port: False)
    loser = SandboxProcess(port=port)
    with pytest.raises(SandboxError, match=f"port {port} is already in use"):
        loser.start()
    assert loser.pid is None


@pytest.mark.slow
def test_a_port_taken_after_it_was_chosen_moves_the_sandbox_to_another():
    sandbox = SandboxProcess()
    taken = sandbox.port
    with socket.socket() as thief:  # another program takes it between choosing and binding
        thief.bind(("127.0.0.1", taken))
        thief.listen()
        try:
            sandbox.start()
            assert sandbox.port != taken and sandbox.healthy()
        finally:
            sandbox.stop()
