"""Named schema migrations for apilab's SQLite files (the learner's progress, the hub).

A migration is a name and a function that changes the schema. Each runs once, in its own
transaction, and is recorded by name in `_migrations`; never rename or edit one once shipped,
add a new one instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


def apply_migrations(db: sqlite_utils.Database, steps: Sequence[tuple[str, Migration]],
                     now: str) -> list[str]:
    """Apply the steps not yet recorded, in order; return the names of those applied now."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    done = {row["name"] for row in db.query("SELECT name FROM _migrations")}
    applied = []
    for name, change in steps:
        if name in done:
            continue
        with db.atomic():
            change(db)
            db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, now])
        applied.append(name)
    return applied
