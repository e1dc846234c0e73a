"""`apilab flag`: a flag from this installation's lab is recorded and shown by `apilab lessons`;
a wrong one, or an unknown challenge, is a clear message and records nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from apilab.cli import main
from apilab.commands.notebooks import _serves_lab
from apilab.ports import free_port
from apilab.store import Store
from hub.protocol import CAPTURE_LAB
from sandbox_api.lab_flags import CHALLENGES, LAB, flag_for, install_secret

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("APILAB_COURSE", str(ROOT))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_a_right_flag_is_captured_once_and_shown(cli, tmp_path: Path):
    right = flag_for(install_secret(tmp_path / "home"), "bola")
    first = cli("flag", "bola", f" {right} ")
    assert first.exit_code == 0, first.output
    assert "Captured bola (API1" in first.output and f"1 of {len(CHALLENGES)}" in first.output
    assert "captured before" in cli("flag", "API1", right).output  # by category, too
    lessons = cli("lessons").output
    assert ". API security" in lessons
    assert f"lab: 1 of {len(CHALLENGES)} flags captured" in lessons
    assert "⚑ API1  bola" in lessons and "· API2  alg-none" in lessons


def test_a_wrong_flag_is_a_clear_message_and_records_nothing(cli, tmp_path: Path):
    someone_elses = flag_for(bytes(32), "bola")  # another installation's
    result = cli("flag", "bola", someone_elses)
    assert result.exit_code == 1
    assert "not the flag of bola (API1" in result.output and "differ from one installation" in result.output
    with Store(tmp_path / "home" / "progress.db") as store:
        assert store.captured_flags() == {}


def test_an_unknown_challenge_names_the_known_ones(cli):
    result = cli("flag", "sqli", "apilab{x}")
    assert result.exit_code == 2
    assert "no challenge 'sqli'" in result.output and "bola (API1)" in result.output


def test_a_damaged_secret_is_a_message_not_a_crash(cli, tmp_path: Path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "lab-secret").write_text("garbage")
    result = cli("flag", "bola", "apilab{x}")
    assert result.exit_code == 1 and "delete it to make a new one" in result.output


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"the sandbox did not come up at {url}")


@pytest.mark.slow
def test_the_lab_apilab_serves_reveals_flags_apilab_flag_accepts(cli, tmp_path: Path):
    """End to end, as a learner: `apilab sandbox --lab security`, an exploit, `apilab flag`."""
    port = free_port()
    env = {"APILAB_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    server = subprocess.Popen([sys.executable, "-m", "apilab", "sandbox", "--lab", "security",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, server)
        assert _serves_lab(url, "security")
        leaked = httpx.get(f"{url}/lab/v0/users", trust_env=False).json()
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "LABS ON: security" in output
    result = cli("flag", "old-version", leaked["flag"])
    assert result.exit_code == 0 and "Captured old-version" in result.output


def test_a_sandbox_without_the_lab_is_told_apart(sandbox_url: str, security_lab_url: str):
    assert not _serves_lab(sandbox_url, "security")
    assert _serves_lab(security_lab_url, "security")


def test_the_hub_names_the_lab_whose_flags_the_sandbox_reveals():
    # The hub may not import the sandbox, so its protocol spells the lab's name too.
    assert CAPTURE_LAB == LAB
