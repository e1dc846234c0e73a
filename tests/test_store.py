"""The progress store: real temporary SQLite files, migrations, runs, progress, errors."""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

from apilab.store import ExerciseProgress, Store, StoreError
from apilab.store import errors as store_errors
from apilab.store import migrations as store_module
from tests.helpers import FIXED_TIME, TickingClock, make_report

LEGACY = Path(__file__).parent / "fixtures" / "legacy"


PROGRESS_MIGRATIONS = ["create_runs", "create_notebook_runs", "create_feedback",
                       "add_reviews_to_feedback", "create_outbox", "create_sync_state",
                       "add_server_to_runs", "create_flags", "add_unsent_to_runs"]


def steps_with(*extra) -> list:
    """The progress migrations as shipped, then `extra` functions."""
    return [*store_module.STEPS, *extra]


def test_new_file_has_every_migration_recorded_by_name(tmp_path):
    with Store(tmp_path / "sub" / "progress.db") as store:
        assert store.applied_migrations() == PROGRESS_MIGRATIONS
        assert not store.db["_migrations"].exists()  # sqlite-utils keeps the history now
    assert (tmp_path / "sub" / "progress.db").is_file()


def test_the_schema_check_reads_the_history_sqlite_utils_writes(tmp_path, monkeypatch):
    # `pending` reads the history table without sqlite-utils, by this name.
    assert sqlite_utils.Migrations.migrations_table == store_module.HISTORY_TABLE
    path = tmp_path / "progress.db"
    Store(path).close()
    with sqlite3.connect(path) as connection:
        assert not store_module.pending(connection)
    monkeypatch.setattr(store_module, "STEPS", steps_with(lambda db: None))
    with sqlite3.connect(path) as connection:
        assert store_module.pending(connection)


def test_wal_mode_is_on(store):
    assert store.journal_mode() == "wal"


def test_the_database_is_private_to_its_owner(tmp_path):
    Store(tmp_path / "progress.db").close()
    assert (tmp_path / "progress.db").stat().st_mode & 0o777 == 0o600


def test_a_new_migration_runs_once_and_is_recorded(tmp_path, monkeypatch):
    path = tmp_path / "progress.db"
    Store(path).close()
    calls = []

    def add_notes(db):
        calls.append("ran")
        db["notes"].create({"id": int, "text": str}, pk="id")

    monkeypatch.setattr(store_module, "STEPS", steps_with(add_notes))
    Store(path).close()
    with Store(path) as store:
        assert calls == ["ran"]
        assert store.applied_migrations() == [*PROGRESS_MIGRATIONS, "add_notes"]


def test_a_failing_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    def half_done(db):
        db["half"].create({"id": int}, pk="id")
        raise sqlite3.OperationalError("boom")

    monkeypatch.setattr(store_module, "STEPS", steps_with(half_done))
    with pytest.raises(StoreError):
        Store(tmp_path / "progress.db")
    monkeypatch.undo()
    with Store(tmp_path / "progress.db") as store:
        assert "half_done" not in store.applied_migrations()
        assert not store.db["half"].exists()


def test_a_database_from_the_hand_written_runner_upgrades_with_nothing_lost(tmp_path):
    # progress.db was written by apilab before it used sqlite-utils' migrations: its history
    # is in `_migrations`. Every step there counts as done; nothing is run twice or lost.
    path = tmp_path / "progress.db"
    shutil.copy(LEGACY / "progress.db", path)
    with Store(path) as store:
        assert store.applied_migrations() == PROGRESS_MIGRATIONS
        assert not store.db["_migrations"].exists()
        checked, submitted = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
        assert [run.id for run in store.runs()] == [submitted, checked]
        assert [run.server for run in store.runs()] == [None, None]  # runs from before it
        assert store.report(checked).seed == 1 and store.report(submitted).seed == 2
        [waiting] = store.outbox()
        assert (waiting.run_id, waiting.attempts, waiting.last_error) == (
            submitted, 1, "hub unreachable")
        notes = {note.id: note for note in store.feedback()}
        assert notes["f-1"].read and notes["f-1"].check_id == "check-2"
        assert (notes["f-2"].verdict, notes["f-2"].score_override, notes["f-2"].reason) == (
            "approved", 3, "fair")
        # the review is of the 2/3 run; the 3/3 one is the standing, with the review beside it
        assert store.progress()["hello-api"].earlier_verdict == "approved"
        assert store.notebook_runs("http-basics")[0]["ok"] is True
        assert store.state("feedback_cursor") == "7"
        store.record_run(make_report(seed=3))  # and it takes new runs
    with Store(path) as again:
        assert again.applied_migrations() == PROGRESS_MIGRATIONS
        assert len(again.runs()) == 3


def test_a_run_keeps_the_whole_report(store):
    report = make_report(passed=(True, False, True))
    run_id = store.record_run(report)
    assert store.report(run_id) == report
    assert store.report(run_id).checks[1].exchanges[0].curl.startswith("curl -i")


def test_unknown_run_is_a_key_error(store):
    with pytest.raises(KeyError, match="no run"):
        store.report("nope")


def test_runs_newest_first_filtered_and_limited(store):
    ids = [store.record_run(make_report(started_at=FIXED_TIME + timedelta(minutes=i)))
           for i in range(3)]
    other = store.record_run(make_report("whoami", passed=(True,),
                                         started_at=FIXED_TIME + timedelta(hours=1)), "submit")
    assert [r.id for r in store.runs("hello-api")] == ids[::-1]
    assert [r.id for r in store.runs()] == [other, *ids[::-1]]
    assert [r.id for r in store.runs(limit=2)] == [other, ids[2]]
    latest = store.runs("whoami")[0]
    assert (latest.kind, latest.status, latest.score, latest.max_score, latest.seed) == (
        "submit", "pass", 1, 1, 42)
    assert latest.started_at == FIXED_TIME + timedelta(hours=1)
    assert latest.duration_ms == 12.5


def test_progress_best_score_and_passed_only_after_a_passing_run(store):
    assert store.progress() == {}
    store.record_run(make_report(passed=(True, False, False), started_at=FIXED_TIME))
    store.record_run(make_report(passed=(True, True, False),
                                 started_at=FIXED_TIME + timedelta(minutes=1)))
    store.record_run(make_report(passed=(False, False, False),
                                 started_at=FIXED_TIME + timedelta(minutes=2)))
    failing = store.progress()["hello-api"]
    assert failing == ExerciseProgress(status="failing", best_score=2, max_score=3, runs=3,
                                       last_run_at=FIXED_TIME + timedelta(minutes=2),
                                       best_run_id=store.runs()[1].id, best_kind="check")
    store.record_run(make_report(passed=(True, True, True),
                                 started_at=FIXED_TIME + timedelta(minutes=3)))
    store.record_run(make_report(passed=(False, True, False),
                                 started_at=FIXED_TIME + timedelta(minutes=4)))
    passed = store.progress()["hello-api"]
    assert (passed.status, passed.best_score, passed.runs) == ("passed", 3, 5)
    assert "whoami" not in store.progress()


def test_notebook_runs(store):
    store.record_notebook_run("http-basics", True, 1234.5)
    store.record_notebook_run("http-basics", False, 10.0, error="cell 3 raised KeyError")
    runs = store.notebook_runs("http-basics")
    assert [(r["ok"], r["error"]) for r in runs] == [(False, "cell 3 raised KeyError"),
                                                     (True, None)]


def test_feedback_unread_count_and_mark_read(store):
    run_id = store.record_run(make_report())
    first = store.add_feedback(run_id, "mentor@example.org", "Nice **work**.")
    second = store.add_feedback(run_id, "mentor@example.org", "Look at `Location`.",
                                check_id="check-2", verdict="revise")
    assert store.unread_count() == 2
    notes = store.feedback()
    assert [n.id for n in notes] == [second, first]
    assert (notes[0].exercise, notes[0].check_id, notes[0].verdict) == ("hello-api", "check-2",
                                                                        "revise")
    store.mark_read(first)
    assert store.unread_count() == 1
    assert [n.id for n in store.feedback(unread_only=True)] == [second]


def test_feedback_with_a_known_id_is_updated_not_duplicated(store):
    run_id = store.record_run(make_report())
    note = store.add_feedback(run_id, "m", "draft", feedback_id="hub-1")
    store.mark_read(note)
    store.add_feedback(run_id, "m", "final", feedback_id="hub-1")
    (only,) = store.feedback()
    assert (only.id, only.body, only.read) == ("hub-1", "final", True)


def test_feedback_on_an_unknown_run_is_refused(store):
    with pytest.raises(KeyError, match="must refer to a run"):
        store.add_feedback("missing", "m", "hello")
    with pytest.raises(KeyError):
        store.mark_read("missing")


def test_data_survives_reopening(tmp_path):
    path = tmp_path / "progress.db"
    with Store(path, clock=TickingClock()) as store:
        run_id = store.record_run(make_report(passed=(True,)))
    with Store(path) as store:
        assert store.progress()["hello-api"].status == "passed"
        assert store.report(run_id).score == 1


def test_damaged_file_is_a_store_error_naming_the_path(tmp_path):
    path = tmp_path / "progress.db"
    path.write_bytes(b"this is not a database, just garbage \x00\xff" * 200)
    with pytest.raises(StoreError) as caught:
        Store(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"mv {path} {path}.broken" in message
    assert "starts a new, empty one, and your old runs stay in the .broken file" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only files")
def test_read_only_file_is_a_store_error(tmp_path):
    path = tmp_path / "progress.db"
    Store(path).close()
    for file in tmp_path.iterdir():
        file.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(StoreError, match="read-only|could not be opened"):
            Store(path).record_run(make_report())
    finally:
        tmp_path.chmod(0o755)


def test_store_error_explains_a_full_disk(tmp_path):
    error = store_errors.explain(tmp_path / "p.db", sqlite3.OperationalError(
        "database or disk is full"))
    assert "disk is full" in str(error) and str(tmp_path / "p.db") in str(error)


def test_an_error_that_is_not_damage_does_not_advise_moving_the_file(tmp_path):
    error = str(store_errors.explain(tmp_path / "p.db", sqlite3.IntegrityError(
        "UNIQUE constraint failed: runs.id")))
    assert "mv " not in error and "bug in apilab" in error


def test_open_default_uses_apilab_home(tmp_path, monkeypatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "home"))
    with Store.open_default() as store:
        assert store.path == tmp_path / "home" / "progress.db"


# --- outbox, sync state and reviews ---------------------------------------------------------------


def test_a_submission_is_queued_with_its_run_in_one_transaction(store):
    run_id = store.record_run(make_report(), "submit", send_to_hub=True)
    [item] = store.outbox()
    assert item.run_id == run_id and item.kind == "submit" and item.attempts == 0
    assert '"exercise":"hello-api"' in item.report_json


def test_a_failed_send_keeps_the_item_and_counts_attempts(store):
    run_id = store.record_run(make_report(), "submit", send_to_hub=True)
    store.mark_attempt(run_id, "hub unreachable")
    store.mark_attempt(run_id, "hub unreachable")
    [item] = store.outbox()
    assert item.attempts == 2 and item.last_error == "hub unreachable"
    store.mark_sent(run_id)
    assert store.outbox() == [] and store.outbox_count() == 0
    assert store.has_run(run_id)  # the run itself stays


def test_the_outbox_keeps_its_order_across_reopening(tmp_path):
    path = tmp_path / "progress.db"
    with Store(path, clock=TickingClock()) as first:
        ids = [first.record_run(make_report(seed=n), "submit", send_to_hub=True) for n in range(5)]
    with Store(path) as again:
        assert [item.run_id for item in again.outbox()] == ids
        assert [item.run_id for item in again.outbox(limit=2)] == ids[:2]


def test_a_run_can_keep_an_id_given_elsewhere(store):
    run_id = store.record_run(make_report(), "submit", run_id="0f6e2b9e-hub-id")
    assert run_id == "0f6e2b9e-hub-id" and store.report(run_id).exercise == "hello-api"


def test_sync_state_round_trips(store):
    assert store.state("feedback_cursor") is None
    assert store.state("feedback_cursor", "0") == "0"
    store.set_state("feedback_cursor", "17")
    store.set_state("feedback_cursor", "18")
    assert store.state("feedback_cursor") == "18"


def test_the_latest_review_shows_in_progress(store):
    run_id = store.record_run(make_report(passed=(True, False)))
    store.add_feedback(run_id, "mentor", "Please fix the 404.", verdict="changes_requested")
    assert store.progress()["hello-api"].verdict == "changes_requested"
    store.add_feedback(run_id, "mentor", "Good now.", verdict="approved", score_override=2,
                       reason="the 404 check was flaky")
    progress = store.progress()["hello-api"]
    assert progress.verdict == "approved" and progress.score_override == 2
    review = store.feedback()[0]
    assert review.kind == "review" and review.reason == "the 404 check was flaky"
    store.add_feedback(run_id, "mentor", "A note, not a review.")
    assert store.progress()["hello-api"].verdict == "approved"


def test_best_score_is_shown_over_the_maximum_of_its_own_run(store):
    store.record_run(make_report(passed=(True, True, False, False, False, False)), "submit")
    store.record_run(make_report(passed=(True, False, False)))  # a check: 1 of 3
    progress = store.progress()["hello-api"]
    assert (progress.best_score, progress.max_score) == (2, 6)  # 1 of 3 is no better than 2 of 6
    store.record_run(make_report(passed=(True, True, True, False, False, False)), "submit")
    progress = store.progress()["hello-api"]
    assert (progress.best_score, progress.max_score) == (3, 6)  # a half beats a third


def test_a_run_keeps_the_server_that_was_graded(store, report_factory):
    store.record_run(report_factory(), server="node server.js")
    store.record_run(report_factory())
    servers = {run.server for run in store.runs()}
    assert servers == {"node server.js", None}
    assert {run.url for run in store.runs()} == {"http://127.0.0.1:8001"}


def test_a_captured_flag_is_kept_once_and_waits_for_the_hub(tmp_path):
    with Store(tmp_path / "progress.db") as store:
        assert store.record_flag("bola", "API1") is True
        assert store.record_flag("bola", "API1") is False  # the first capture stays
        store.record_flag("ssrf", "API7")
        assert list(store.captured_flags()) == ["bola", "ssrf"]
        assert [row["challenge"] for row in store.unsent_flags()] == ["bola", "ssrf"]
        store.mark_flag_sent("bola")
        assert [row["challenge"] for row in store.unsent_flags()] == ["ssrf"]
    with Store(tmp_path / "progress.db") as reopened:
        assert list(reopened.captured_flags()) == ["bola", "ssrf"]
