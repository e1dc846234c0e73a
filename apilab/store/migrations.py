"""The progress store's schema, as sqlite-utils migrations applied once each, in order.

Never rename or edit a migration once shipped: add a new one, since its function's name is what
marks it applied (in `_sqlite_migrations`, under the set "progress").

Each start of the app opens the store, and a file already up to date is the rule: `pending`
finds that out with sqlite3 alone, so that sqlite-utils (a tenth of a second to import) is
loaded only when there is a step to run, or for the store's other work.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from apilab.migrations import LEGACY_TABLE, applied, upgrade

if TYPE_CHECKING:
    import sqlite_utils

SET_NAME = "progress"
HISTORY_TABLE = "_sqlite_migrations"  # sqlite-utils' `Migrations.migrations_table`
Step = Callable[["sqlite_utils.Database"], None]
STEPS: list[Step] = []  # in the order they run


def step(function: Step) -> Step:
    """Register `function` as the next migration, named by its function's name."""
    STEPS.append(function)
    return function


@step
def create_runs(db: sqlite_utils.Database) -> None:
    db["runs"].create(
        {"id": str, "exercise": str, "exercise_id": str, "kind": str, "status": str,
         "score": int, "max_score": int, "seed": int, "url": str, "started_at": str,
         "duration_ms": float, "report": str},
        pk="id", not_null={"exercise", "kind", "status", "started_at", "report"},
    )
    db["runs"].create_index(["exercise", "started_at"])


@step
def create_notebook_runs(db: sqlite_utils.Database) -> None:
    db["notebook_runs"].create(
        {"id": str, "lesson": str, "ok": int, "duration_ms": float, "error": str, "ran_at": str},
        pk="id", not_null={"lesson", "ok", "ran_at"},
    )


@step
def create_feedback(db: sqlite_utils.Database) -> None:
    db["feedback"].create(
        {"id": str, "run_id": str, "exercise": str, "check_id": str, "author": str, "body": str,
         "verdict": str, "created_at": str, "read": int},
        pk="id", not_null={"run_id", "exercise", "author", "body", "created_at", "read"},
        foreign_keys=[("run_id", "runs", "id")],
    )


@step
def add_reviews_to_feedback(db: sqlite_utils.Database) -> None:
    db["feedback"].add_column("kind", str, not_null_default="note")
    db["feedback"].add_column("score_override", int)
    db["feedback"].add_column("reason", str)


@step
def create_outbox(db: sqlite_utils.Database) -> None:
    # A run to send to the hub. The row is written in the same transaction as the run, so a
    # crash can lose neither one without the other; it is deleted only once the hub has it.
    db["outbox"].create(
        {"run_id": str, "queued_at": str, "attempts": int, "last_error": str,
         "last_attempt_at": str},
        pk="run_id", not_null={"queued_at", "attempts"}, defaults={"attempts": 0},
        foreign_keys=[("run_id", "runs", "id")],
    )


@step
def create_sync_state(db: sqlite_utils.Database) -> None:
    db["sync_state"].create({"key": str, "value": str}, pk="key")


@step
def add_server_to_runs(db: sqlite_utils.Database) -> None:
    # The command that served what a run graded (when apilab started it), beside its URL.
    db["runs"].add_column("server", str)


@step
def create_flags(db: sqlite_utils.Database) -> None:
    # A security lab challenge the learner captured the flag of (the flag itself is not kept:
    # it proves the exploit once, and differs from one installation to the next). `sent_at` is
    # null until the hub has it.
    db["flags"].create({"challenge": str, "category": str, "captured_at": str, "sent_at": str},
                       pk="challenge", not_null={"category", "captured_at"})


@step
def add_unsent_to_runs(db: sqlite_utils.Database) -> None:
    # 1 for a submission made before the learner joined a hub: it was never queued, and is
    # offered for sending once they have. Older submissions are left null: whether they reached
    # a hub then is not known.
    db["runs"].add_column("unsent", int)


def migrations() -> sqlite_utils.Migrations:
    """The steps as one sqlite-utils migration set."""
    import sqlite_utils

    found = sqlite_utils.Migrations(SET_NAME)
    for function in STEPS:
        found()(function)
    return found


def pending(connection: sqlite3.Connection) -> bool:
    """Whether the file has a step left to run, or a history still in the hand-written
    runner's table (`apilab.migrations.upgrade` moves it): with sqlite3 only."""
    tables = {name for (name,) in connection.execute(
        "select name from sqlite_master where type = 'table'")}
    if LEGACY_TABLE in tables or HISTORY_TABLE not in tables:
        return True
    done = {name for (name,) in connection.execute(
        f"select name from {HISTORY_TABLE} where migration_set = ?", [SET_NAME])}
    return any(function.__name__ not in done for function in STEPS)


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Bring a progress database up to date; the names of the migrations applied now."""
    return upgrade(db, migrations())


def applied_names(db: sqlite_utils.Database) -> list[str]:
    """The names of the progress migrations recorded in `db`, in the order they ran."""
    return applied(db, migrations())
