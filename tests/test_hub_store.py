"""The hub's database: sqlite-utils migrations (and an older hub's history moved across), files
only its owner can read, a database created only when asked, one hub per file, backups that are
whole or absent, per-learner quotas and the "latest of each learner" view."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.auth import hash_token
from hub.cli import hub as hub_cli
from hub.records import PutOutcome, Quota, SubmissionFilter
from hub.store import HubStore, HubStoreError
from tests.helpers import TickingClock, make_report

LEGACY = Path(__file__).parent / "fixtures" / "legacy"
HUB_MIGRATIONS = ["create_users", "create_tokens", "create_submissions", "create_feedback",
                  "add_report_bytes", "create_certificates",
                  "create_captures"]


def test_migrations_are_sqlite_utils_steps_applied_once_in_wal_mode(tmp_path: Path):
    store = HubStore(tmp_path / "hub.db")
    assert store.journal_mode() == "wal"
    assert store.migrations() == store.applied == HUB_MIGRATIONS
    store.close()
    again = HubStore(tmp_path / "hub.db")
    assert again.applied == [] and again.migrations() == HUB_MIGRATIONS
    again.close()
    memory = HubStore(":memory:")
    assert memory.migrations() == HUB_MIGRATIONS
    memory.close()


def test_a_hub_from_the_hand_written_runner_upgrades_with_nothing_lost(tmp_path: Path):
    db = tmp_path / "hub.db"
    shutil.copy(LEGACY / "hub.db", db)
    store = HubStore(db)
    try:
        # the older count as done
        assert store.applied == ["add_report_bytes", "create_certificates", "create_captures"]
        assert store.migrations() == HUB_MIGRATIONS
        assert not store.db["_migrations"].exists()
        for token in ("a", "b"):
            assert store.user_for_token(hash_token("apilab_" + token * 43)).name == "ada"
        assert store.user_for_token(hash_token("apilab_" + "m" * 43)).role == "mentor"
        sid = "33333333-3333-4333-8333-333333333333"
        submission = store.submission(sid, with_report=True)
        assert submission.review_state == "changes_requested" and submission.learner == "ada"
        weight = store.db.execute("SELECT report_bytes FROM submissions").fetchone()[0]
        assert weight == len(submission.report_json.encode()) > 0
        assert [item.body for item in store.feedback_on(sid)] == ["Nice.", "Add a 404."]
    finally:
        store.close()


def test_files_are_private_to_their_owner(tmp_path: Path):
    store = HubStore(tmp_path / "hub.db")
    store.add_user("ada", "learner", hash_token("apilab_" + "a" * 43))
    store.backup(tmp_path / "copy.db")
    store.close()
    for name in ("hub.db", "copy.db"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600


def test_a_missing_file_is_created_only_when_asked(tmp_path: Path):
    with pytest.raises(HubStoreError, match="there is no hub database at .*typo.db.*hub init"):
        HubStore(tmp_path / "typo.db", create=False)
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_explained(tmp_path: Path):
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(HubStoreError, match="cannot create the hub database"):
            HubStore(tmp_path / "hub.db")
    finally:
        tmp_path.chmod(0o755)


def test_a_file_that_is_not_a_database_is_explained(tmp_path: Path):
    (tmp_path / "hub.db").write_bytes(b"not a database at all " * 100)
    with pytest.raises(HubStoreError, match="not a hub database"):
        HubStore(tmp_path / "hub.db")


def test_a_second_hub_on_the_same_file_refuses_to_serve(tmp_path: Path):
    first, second = HubStore(tmp_path / "hub.db"), HubStore(tmp_path / "hub.db")
    try:
        first.claim_for_serving()
        with pytest.raises(HubStoreError, match="another hub is already serving"):
            second.claim_for_serving()
        first.close()  # the first hub stops: the file is free again
        second.claim_for_serving()
    finally:
        second.close()


KILLED_MIDWAY = """
import os, signal, sqlite3, sys, types
import hub.store as store_module
from hub.cli import hub as hub_cli

class Dying(sqlite3.Connection):  # the backup is killed after its first page
    def backup(self, target, **options):
        super().backup(target, pages=1, progress=lambda *a: os.kill(os.getpid(), signal.SIGKILL))

real = sqlite3.connect
store_module.sqlite3 = types.SimpleNamespace(
    **{**vars(sqlite3), "connect": lambda *a, **k: real(*a, factory=Dying, **k)})
hub_cli(["backup", sys.argv[2], "--db", sys.argv[1]])
"""


def test_a_backup_killed_midway_leaves_no_file_under_the_final_name(tmp_path: Path):
    db, copy = tmp_path / "hub.db", tmp_path / "copy.db"
    store = HubStore(db)
    for n in range(50):  # a few pages' worth
        store.add_user(f"learner{n}", "learner", hash_token(f"apilab_{n:043}"))
    store.close()
    child = subprocess.run([sys.executable, "-c", KILLED_MIDWAY, str(db), str(copy)],
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert not copy.exists()
    assert CliRunner().invoke(hub_cli, ["backup", str(copy), "--db", str(db)]).exit_code == 0
    assert len(HubStore(copy, create=False).users()) == 50


def test_quotas_count_what_each_learner_stored(tmp_path: Path):
    clock = TickingClock()
    store = HubStore(tmp_path / "hub.db", clock=clock)
    ada = store.add_user("ada", "learner", hash_token("apilab_" + "a" * 43))
    bob = store.add_user("bob", "learner", hash_token("apilab_" + "b" * 43))
    size = len(make_report().to_json(indent=None).encode())
    quota = Quota(total_bytes=3 * size, hour_bytes=2 * size)

    def put(learner, n):
        return store.put_submission(learner, f"00000000-0000-4000-8000-{n:012}", "submit",
                                    make_report(seed=n), quota=quota)[0]

    assert [put(ada, n) for n in range(3)] == [PutOutcome.CREATED, PutOutcome.CREATED,
                                               PutOutcome.OVER_RATE]
    assert store.retry_upload_after(ada, size, quota.hour_bytes) > 0
    assert put(bob, 10) is PutOutcome.CREATED  # one learner's quota is theirs alone
    clock.now += timedelta(hours=2)
    assert put(ada, 3) is PutOutcome.CREATED
    assert put(ada, 4) is PutOutcome.OVER_QUOTA
    assert store.put_submission(ada, "00000000-0000-4000-8000-000000000000", "submit",
                                make_report(seed=0), quota=quota)[0] is PutOutcome.UNCHANGED
    store.close()


def test_the_latest_view_keeps_each_learners_latest_of_each_exercise(tmp_path: Path):
    store = HubStore(tmp_path / "hub.db")
    ada = store.add_user("ada", "learner", hash_token("apilab_" + "a" * 43))
    bob = store.add_user("bob", "learner", hash_token("apilab_" + "b" * 43))
    ids = {}
    for n, (learner, exercise) in enumerate([(ada, "one"), (ada, "one"), (ada, "two"),
                                             (bob, "one"), (bob, "one")]):
        sid = f"00000000-0000-4000-8000-{n:012}"
        store.put_submission(learner, sid, "submit", make_report(exercise, seed=n))
        ids[n] = sid
    latest = store.submissions(SubmissionFilter(latest=True), limit=10)
    assert [s.id for s in latest] == [ids[4], ids[2], ids[1]]
    mentor = store.add_user("mia", "mentor", hash_token("apilab_" + "m" * 43))
    store.set_review(ids[4], mentor, "approved", None, None)
    awaiting = store.submissions(SubmissionFilter(latest=True, review="awaiting"), limit=10)
    assert [s.id for s in awaiting] == [ids[2], ids[1]]  # bob's older "one" is not back
    store.close()
