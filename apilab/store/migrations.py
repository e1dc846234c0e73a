"""The progress store's schema, as sqlite-utils migrations applied once each, in order.

Never rename or edit a migration once shipped: add a new one, since its function's name is what
marks it applied (in `_sqlite_migrations`, under the set "progress").
"""

from __future__ import annotations

import sqlite_utils

from apilab.migrations import applied, upgrade

migrations = sqlite_utils.Migrations("progress")


@migrations()
def create_runs(db: sqlite_utils.Database) -> None:
    db["runs"].create(
        {"id": str, "exercise": str, "exercise_id": str, "kind": str, "status": str,
         "score": int, "max_score": int, "seed": int, "url": str, "started_at": str,
         "duration_ms": float, "report": str},
        pk="id", not_null={"exercise", "kind", "status", "started_at", "report"},
    )
    db["runs"].create_index(["exercise", "started_at"])


@migrations()
def create_notebook_runs(db: sqlite_utils.Database) -> None:
    db["notebook_runs"].create(
        {"id": str, "lesson": str, "ok": int, "duration_ms": float, "error": str, "ran_at": str},
        pk="id", not_null={"lesson", "ok", "ran_at"},
    )


@migrations()
def create_feedback(db: sqlite_utils.Database) -> None:
    db["feedback"].create(
        {"id": str, "run_id": str, "exercise": str, "check_id": str, "author": str, "body": str,
         "verdict": str, "created_at": str, "read": int},
        pk="id", not_null={"run_id", "exercise", "author", "body", "created_at", "read"},
        foreign_keys=[("run_id", "runs", "id")],
    )


@migrations()
def add_reviews_to_feedback(db: sqlite_utils.Database) -> None:
    db["feedback"].add_column("kind", str, not_null_default="note")
    db["feedback"].add_column("score_override", int)
    db["feedback"].add_column("reason", str)


@migrations()
def create_outbox(db: sqlite_utils.Database) -> None:
    # A run to send to the hub. The row is written in the same transaction as the run, so a
    # crash can lose neither one without the other; it is deleted only once the hub has it.
    db["outbox"].create(
        {"run_id": str, "queued_at": str, "attempts": int, "last_error": str,
         "last_attempt_at": str},
        pk="run_id", not_null={"queued_at", "attempts"}, defaults={"attempts": 0},
        foreign_keys=[("run_id", "runs", "id")],
    )


@migrations()
def create_sync_state(db: sqlite_utils.Database) -> None:
    db["sync_state"].create({"key": str, "value": str}, pk="key")


@migrations()
def add_server_to_runs(db: sqlite_utils.Database) -> None:
    # The command that served what a run graded (when apilab started it), beside its URL.
    db["runs"].add_column("server", str)


@migrations()
def create_flags(db: sqlite_utils.Database) -> None:
    # A security lab challenge the learner captured the flag of (the flag itself is not kept:
    # it proves the exploit once, and differs from one installation to the next). `sent_at` is
    # null until the hub has it.
    db["flags"].create({"challenge": str, "category": str, "captured_at": str, "sent_at": str},
                       pk="challenge", not_null={"category", "captured_at"})


@migrations()
def add_unsent_to_runs(db: sqlite_utils.Database) -> None:
    # 1 for a submission made before the learner joined a hub: it was never queued, and is
    # offered for sending once they have. Older submissions are left null: whether they reached
    # a hub then is not known.
    db["runs"].add_column("unsent", int)


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Bring a progress database up to date; the names of the migrations applied now."""
    return upgrade(db, migrations)


def applied_names(db: sqlite_utils.Database) -> list[str]:
    """The names of the progress migrations recorded in `db`, in the order they ran."""
    return applied(db, migrations)
