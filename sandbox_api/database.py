"""The sandbox's one SQLite file, shared by its features; each feature's own SQL lives in its
own store module. This module connects, and resets everything in one transaction."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox_api.feature import SandboxConfigError

if TYPE_CHECKING:
    from sandbox_api.feature import Feature

# SQLite's INTEGER is 64-bit: a larger number from a request cannot be an id or a year of ours.
SQLITE_INT_MAX = 2**63 - 1


class SandboxDB:
    """Connections to the sandbox's database: many readers, one writer at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with closing(self._open()) as conn, conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A connection whose statements commit together on success and roll back on error."""
        with self._write_lock, closing(self._open()) as conn, conn:
            yield conn

    def reset(self, features: Iterable[Feature], seed: int) -> None:
        """Drop every table, then create and seed each feature's, all in one transaction: a
        request arriving mid-reset sees the old data or the new, never missing tables."""
        with self.writing() as conn:
            conn.execute("BEGIN")
            conn.execute("PRAGMA defer_foreign_keys = ON")  # checked at commit, when all is back
            existing = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                    "name NOT LIKE 'sqlite_%'").fetchall()
            for (table,) in existing:
                conn.execute(f'DROP TABLE "{table}"')
            for feature in features:
                try:
                    for statement in statements(feature.schema):
                        conn.execute(statement)
                    if feature.seed is not None:
                        feature.seed(conn, seed)
                except sqlite3.Error as exc:
                    raise SandboxConfigError(f"the {feature.name} feature's schema or seed "
                                             f"failed: {exc}") from exc

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        # The data is thrown away at every start: waiting for the disk at each commit (tens of
        # milliseconds each under load) would buy a durability nobody needs.
        conn.execute("PRAGMA synchronous = OFF")
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        return conn


def statements(script: str) -> list[str]:
    """A script's SQL statements, one by one (executescript would commit the transaction)."""
    found, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip():
        found.append(pending.strip())
    return found
