"""`apilab hub`: users are made by the CLI only, a token is shown once and stored as a hash; a
new token revokes the old ones; only `init` and `serve` create a database."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from apilab.cli import main
from apilab.ports import free_port
from hub.auth import hash_token
from hub.cli import hub
from hub.process import hub_process
from hub.settings import MEMORY
from hub.store import HubStore
from tests.terminal import port_open, wait_until

TOKEN = re.compile(r"apilab_[A-Za-z0-9_-]{43}")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "hub.db"
    assert "Created the hub database" in invoke("init", "--db", str(path))
    return path


def invoke(*args: str) -> str:
    result = CliRunner().invoke(hub, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_add_user_prints_a_token_once_and_stores_only_its_hash(db: Path):
    output = invoke("add-user", "ada", "--role", "learner", "--db", str(db))
    tokens = TOKEN.findall(output)
    assert len(set(tokens)) == 1  # one token, shown on its own and in the login command
    assert "only this once" in output and "apilab login http://" in output
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT token_hash FROM tokens").fetchall()
        dump = "\n".join(conn.iterdump())
    assert stored == [(hash_token(tokens[0]),)]
    assert tokens[0] not in dump and tokens[0] not in db.read_bytes().decode(errors="replace")
    store = HubStore(db)
    assert store.user_for_token(hash_token(tokens[0])).name == "ada"
    store.close()
    assert TOKEN.search(invoke("users", "--db", str(db))) is None  # never shown again


def test_add_user_refuses_a_taken_name_and_a_bad_one(db: Path):
    invoke("add-user", "ada", "--role", "mentor", "--db", str(db))
    taken = CliRunner().invoke(hub, ["add-user", "ada", "--role", "learner", "--db", str(db)])
    assert taken.exit_code == 1 and "already exists" in taken.output
    assert "apilab hub token ada" in taken.output
    bad = CliRunner().invoke(hub, ["add-user", "Ada Lovelace", "--role", "learner",
                                   "--db", str(db)])
    assert bad.exit_code == 2 and "NAME" in bad.output
    role = CliRunner().invoke(hub, ["add-user", "bob", "--role", "admin", "--db", str(db)])
    assert role.exit_code == 2


def test_revoke_and_issue_a_new_token(db: Path):
    first = TOKEN.search(invoke("add-user", "ada", "--role", "learner", "--db", str(db)))[0]
    assert "Revoked 1 token of ada" in invoke("revoke", "ada", "--db", str(db))
    assert "none was active" in invoke("revoke", "ada", "--db", str(db))
    second = TOKEN.search(invoke("token", "ada", "--keep-others", "--db", str(db)))[0]
    store = HubStore(db)
    assert store.user_for_token(hash_token(first)) is None
    assert store.user_for_token(hash_token(second)).name == "ada"
    store.close()
    listing = invoke("users", "--db", str(db))
    assert re.search(r"ada\s+learner\s+1\s+1", listing)
    unknown = CliRunner().invoke(hub, ["revoke", "nobody", "--db", str(db)])
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.output


def test_users_on_an_empty_hub_says_how_to_add_one(db: Path):
    assert "apilab hub add-user" in invoke("users", "--db", str(db))


def test_a_new_token_for_a_lost_laptop_revokes_the_stolen_one(db: Path):
    # The README's advice for a lost laptop: `apilab hub token ada`. The thief's token must die.
    stolen = TOKEN.search(invoke("add-user", "ada", "--role", "learner", "--db", str(db)))[0]
    output = invoke("token", "ada", "--db", str(db))
    assert "Revoked 1 older token of ada" in output
    fresh = TOKEN.search(output)[0]
    kept = TOKEN.search(invoke("token", "ada", "--keep-others", "--db", str(db)))[0]
    store = HubStore(db)
    assert store.user_for_token(hash_token(stolen)) is None
    assert store.user_for_token(hash_token(fresh)).name == "ada"
    assert store.user_for_token(hash_token(kept)).name == "ada"
    store.close()


@pytest.mark.parametrize("command", [["users"], ["revoke", "ada"], ["token", "ada"],
                                     ["add-user", "ada", "--role", "learner"],
                                     ["backup", "copy.db"]])
def test_a_mistyped_database_is_refused_and_nothing_is_created(tmp_path: Path, command):
    typo = tmp_path / "typo.db"
    args = [arg if arg != "copy.db" else str(tmp_path / "copy.db") for arg in command]
    result = CliRunner().invoke(hub, [*args, "--db", str(typo)])
    assert result.exit_code == 1, result.output
    assert f"there is no hub database at {typo}" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_an_existing_database(db: Path):
    again = CliRunner().invoke(hub, ["init", "--db", str(db)])
    assert again.exit_code == 1 and "already exists" in again.output


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_said_plainly(tmp_path: Path):
    tmp_path.chmod(0o555)
    try:
        result = CliRunner().invoke(hub, ["init", "--db", str(tmp_path / "hub.db")])
    finally:
        tmp_path.chmod(0o755)
    assert result.exit_code == 1 and "cannot create the hub database" in result.output
    assert "Traceback" not in result.output


def test_a_folder_that_cannot_be_written_is_said_plainly(tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the hub's folder should be")
    result = CliRunner().invoke(hub, ["init", "--db", str(blocker / "hub.db")])
    assert result.exit_code == 1 and "cannot create the hub database" in result.output
    assert "Traceback" not in result.output


def test_serve_on_a_taken_port_says_so_in_one_line_and_creates_nothing(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "hub.cli", "serve", "--port", str(port), "--db",
             str(tmp_path / "hub.db")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: port {port} on 127.0.0.1 is taken, by another hub or another server; stop it, "
        "or choose another with --port"]
    assert not (tmp_path / "hub.db").exists()


def test_a_second_hub_on_the_same_file_refuses_to_start(tmp_path: Path):
    from hub.process import hub_process

    db = tmp_path / "hub.db"
    with hub_process(db):
        second = subprocess.run([sys.executable, "-m", "hub.cli", "serve", "--port",
                                 str(free_port()), "--db", str(db)],
                                capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert f"another hub is already serving {db}" in second.stderr


def test_the_default_database_lives_under_apilab_home(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "home"))
    invoke("init")
    invoke("add-user", "ada", "--role", "learner")
    assert (tmp_path / "home" / "hub.db").is_file()


def test_the_hub_group_is_part_of_apilab_and_every_command_is_documented():
    result = CliRunner().invoke(main, ["hub", "--help"])
    assert result.exit_code == 0
    for name, command in hub.commands.items():
        assert name in result.output
        assert command.help, f"apilab hub {name} has no help"


def test_backup_is_a_working_copy_of_a_hub_in_use(tmp_path):
    from hub.store import HubStore

    db = tmp_path / "hub.db"
    runner = CliRunner()
    assert runner.invoke(hub, ["init", "--db", str(db)]).exit_code == 0
    assert runner.invoke(hub, ["add-user", "ada", "--role", "learner", "--db", str(db)]).exit_code == 0
    live = HubStore(db)  # the hub is "serving": its database stays open during the backup
    try:
        copy = tmp_path / "backup.db"
        result = runner.invoke(hub, ["backup", str(copy), "--db", str(db)])
        assert result.exit_code == 0, result.output
        again = runner.invoke(hub, ["backup", str(copy), "--db", str(db)])
        assert again.exit_code == 1 and "already exists" in again.output
    finally:
        live.close()
    assert [user.name for user in HubStore(copy).users()] == ["ada"]


@pytest.mark.parametrize("listening", [False, True], ids=["bound", "listening"])
def test_a_hub_whose_port_was_taken_meanwhile_starts_on_another(monkeypatch, listening):
    """The tests' and benchmarks' hubs run on a port found free, which another program may take
    before the hub binds it (bound only, or listening): the hub starts again on another port."""
    with socket.socket() as thief:
        thief.bind(("127.0.0.1", 0))
        if listening:
            thief.listen()
        taken = thief.getsockname()[1]
        picks = iter([taken, free_port()])
        monkeypatch.setattr("hub.process.free_port", lambda: next(picks))
        with hub_process(MEMORY) as url:
            assert not url.endswith(f":{taken}")
            assert httpx.get(f"{url}/health", trust_env=False).status_code == 200


def test_a_hub_started_for_a_test_ends_with_the_process_that_started_it(tmp_path):
    """Even when that process is killed (a benchmark stopped with kill -9, a test worker that
    crashed) and cannot stop it."""
    started = subprocess.Popen(
        [sys.executable, "-c", "import time\nfrom hub.process import hub_process\n"
         "with hub_process(':memory:') as url:\n    print(url, flush=True)\n    time.sleep(300)"],
        stdout=subprocess.PIPE, text=True)
    port = int(started.stdout.readline().rsplit(":", 1)[1])
    started.stdout.close()
    os.kill(started.pid, signal.SIGKILL)
    started.wait(30)
    wait_until(lambda: not port_open(port), 30, lambda: f"the hub on port {port} outlived the process")
