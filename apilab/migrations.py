"""Schema migrations for apilab's SQLite files (the learner's progress, the hub), with
sqlite-utils' own `Migrations`: each step is a named function, applied once, in a transaction
with the record of it in `_sqlite_migrations`.

Files written before apilab used them recorded their steps in a table of its own,
`_migrations` (one row per step name). `upgrade` moves that history across once, in the same
transaction as dropping the old table, so no step that already ran is run again and a learner's
database upgrades with nothing lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded by the caller, which made `db`: a store already up to date needs neither
    from sqlite_utils import Database, Migrations

LEGACY_TABLE = "_migrations"


def upgrade(db: Database, migrations: Migrations) -> list[str]:
    """Bring `db` up to date with `migrations`; the names of the steps applied now."""
    with db.atomic():
        _adopt_legacy_history(db, migrations)
    before = {step.name for step in migrations.applied(db)}
    migrations.apply(db)
    return [step.name for step in migrations.applied(db) if step.name not in before]


def applied(db: Database, migrations: Migrations) -> list[str]:
    """The names of the steps of `migrations` recorded in `db`, in the order they ran."""
    return [step.name for step in migrations.applied(db)]


def _adopt_legacy_history(db: Database, migrations: Migrations) -> None:
    legacy = db[LEGACY_TABLE]
    if not legacy.exists():
        return
    migrations.ensure_migrations_table(db)
    known = set(applied(db, migrations))
    history = db[migrations.migrations_table]
    for row in legacy.rows_where(order_by="rowid"):
        if row["name"] not in known:
            history.insert({"migration_set": migrations.name, "name": row["name"],
                            "applied_at": row["applied_at"]})
    legacy.drop()
