"""The caching feature's tables and all of its SQL.

The catalogue itself is the bookshop's (`books`, lesson 1's table): this feature serves it under
paths of its own and keeps, beside it, what HTTP caching needs and the bookshop does not have:
when each book last changed (`caching_versions`), stock levels that change all the time
(`caching_stock`, with the copies sold that the bestseller report ranks), and a visitor's basket
(`caching_basket`).
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sandbox_api.database import SandboxDB

SCHEMA = """
CREATE TABLE caching_versions (
    book_id INTEGER PRIMARY KEY,
    etag TEXT,
    modified TEXT NOT NULL
);
CREATE TABLE caching_stock (
    book_id INTEGER PRIMARY KEY,
    in_stock INTEGER NOT NULL,
    sold INTEGER NOT NULL,
    modified TEXT NOT NULL
);
CREATE TABLE caching_basket (
    position INTEGER PRIMARY KEY,
    book_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL
);
"""

# Every seeded row says it last changed at this moment, so that a fresh sandbox answers with the
# same Last-Modified for every learner.
SEEDED_AT = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)
BOOKS = 40  # the bookshop seeds ids 1 to 40; rows for books added later are made on first read


def seed(conn: sqlite3.Connection, seed_value: int) -> None:
    """Stock, sales and a basket drawn from `seed_value`; every row dated SEEDED_AT."""
    rng = random.Random(f"caching:{seed_value}")
    stamp = SEEDED_AT.isoformat()
    conn.executemany("INSERT INTO caching_versions (book_id, etag, modified) VALUES (?, NULL, ?)",
                     [(book_id, stamp) for book_id in range(1, BOOKS + 1)])
    conn.executemany(
        "INSERT INTO caching_stock (book_id, in_stock, sold, modified) VALUES (?, ?, ?, ?)",
        [(book_id, rng.randint(0, 40), rng.randint(5, 5000), stamp)
         for book_id in range(1, BOOKS + 1)])
    conn.executemany("INSERT INTO caching_basket (book_id, quantity) VALUES (?, ?)",
                     [(book_id, rng.randint(1, 3)) for book_id in rng.sample(range(1, BOOKS + 1), 3)])


class CachingStore:
    """Reads and writes of the caching feature's tables."""

    def __init__(self, db: SandboxDB) -> None:
        self.db = db

    def modified(self, book_id: int, etag: str) -> datetime:
        """When the book whose representation now has `etag` last changed.

        The bookshop's routes change books too, without knowing of this table: a representation
        with another ETag than the one recorded is a change, first seen now.
        """
        with self.db.writing() as conn:
            row = conn.execute("SELECT etag, modified FROM caching_versions WHERE book_id = ?",
                               (book_id,)).fetchone()
            if row is not None and row["etag"] in (etag, None):
                if row["etag"] is None:  # the seeded version, seen for the first time
                    conn.execute("UPDATE caching_versions SET etag = ? WHERE book_id = ?",
                                 (etag, book_id))
                return datetime.fromisoformat(row["modified"])
            now = datetime.now(UTC).replace(microsecond=0)
            conn.execute("INSERT OR REPLACE INTO caching_versions (book_id, etag, modified) "
                         "VALUES (?, ?, ?)", (book_id, etag, now.isoformat()))
            return now

    def stock(self, book_id: int) -> dict[str, Any] | None:
        with self.db.reading() as conn:
            row = conn.execute("SELECT book_id, in_stock, modified FROM caching_stock "
                               "WHERE book_id = ?", (book_id,)).fetchone()
        return dict(row) if row else None

    def set_stock(self, book_id: int, in_stock: int) -> None:
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        with self.db.writing() as conn:
            conn.execute("UPDATE caching_stock SET in_stock = ?, modified = ? WHERE book_id = ?",
                         (in_stock, now, book_id))

    def bestsellers(self, limit: int) -> list[dict[str, Any]]:
        """The books that sold most, best first, with their titles from the catalogue."""
        with self.db.reading() as conn:
            rows = conn.execute(
                "SELECT s.book_id, b.title, s.sold FROM caching_stock s "
                "JOIN books b ON b.id = s.book_id ORDER BY s.sold DESC, s.book_id LIMIT ?",
                (limit,)).fetchall()
        return [{"rank": rank, **dict(row)} for rank, row in enumerate(rows, 1)]

    def basket(self) -> list[dict[str, Any]]:
        with self.db.reading() as conn:
            rows = conn.execute("SELECT book_id, quantity FROM caching_basket "
                                "ORDER BY position").fetchall()
        return [dict(row) for row in rows]
