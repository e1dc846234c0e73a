"""The versioned catalogue's tables: one set of books that /v1, /v2 and the media-type resource
all read and write, each in its own shape (see `shapes`).

Rows hold the richest form of every value, which is v2's: a list of author ids, prices in euro
cents, timestamps as RFC 3339 text. v1 is computed from it, so nothing v2 knows is lost when a
v1 client writes. The tables are this feature's own, seeded from the bookshop's generator: the
same books as lesson 1's /books, which they never touch.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox_api.database import SQLITE_INT_MAX, SandboxDB
from sandbox_api.features.bookshop.seed import generate
from sandbox_api.listing import Keyset

SCHEMA = """
CREATE TABLE versions_authors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL
);
CREATE TABLE versions_books (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    author_ids TEXT NOT NULL,
    year INTEGER NOT NULL,
    isbn TEXT NOT NULL UNIQUE,
    price_cents INTEGER NOT NULL,
    genre TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    added_at TEXT NOT NULL
);
"""
JSON_COLUMNS = {"author_ids", "tags"}
# Seeded books were added over the years before v2 shipped; a fixed origin keeps every run alike.
FIRST_ADDED = datetime(2019, 1, 1, tzinfo=UTC)
ADDED_SPAN_S = 6 * 365 * 24 * 3600


class DuplicateIsbn(Exception):
    """Another book already has this ISBN."""


def seed(conn: sqlite3.Connection, seed_value: int) -> None:
    """The bookshop's authors and books of `seed_value`, every book with its first author, a
    price in cents and the moment it was added; the fifth books have a co-author (v2-only data)."""
    authors, books = generate(seed_value)
    rng = random.Random(f"versions-{seed_value}")
    conn.executemany("INSERT INTO versions_authors (name) VALUES (?)", [(a.name,) for a in authors])
    offsets = sorted(rng.randrange(ADDED_SPAN_S) for _ in books)  # ids grow with time
    rows = []
    for index, (book, offset) in enumerate(zip(books, offsets, strict=True)):
        author_ids = [book.author_index + 1]
        if index % 5 == 4:
            author_ids.append((book.author_index + 1) % len(authors) + 1)
        added = FIRST_ADDED + timedelta(seconds=offset)
        rows.append((book.title, json.dumps(author_ids), book.year, book.isbn,
                     round(book.price * 100), book.genre, json.dumps(list(book.tags)),
                     rfc3339(added)))
    conn.executemany("INSERT INTO versions_books (title, author_ids, year, isbn, price_cents, "
                     "genre, tags, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def rfc3339(moment: datetime) -> str:
    """`moment` in UTC as an RFC 3339 date-time to the second: 2025-03-14T09:26:53Z."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class CatalogueStore:
    """Reads and writes of the versioned catalogue's books (rows in v2's terms)."""

    def __init__(self, db: SandboxDB) -> None:
        self.db = db

    def get(self, book_id: int) -> dict[str, Any] | None:
        if not 0 < book_id <= SQLITE_INT_MAX:
            return None
        with self.db.reading() as conn:
            row = conn.execute("SELECT * FROM versions_books WHERE id = ?", (book_id,)).fetchone()
        return _to_dict(row) if row else None

    def authors_exist(self, author_ids: list[int]) -> list[int]:
        """The ids among `author_ids` that name no author."""
        with self.db.reading() as conn:
            known = {row[0] for row in conn.execute("SELECT id FROM versions_authors")}
        return [a for a in author_ids if a not in known]

    def list(self, genre: str | None, after: Keyset | None, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` books by id, after the keyset `after`, of one genre if given."""
        where, params = ["id > ?"], [after.row_id if after else 0]
        if genre is not None:
            where.append("genre = ?")
            params.append(genre)
        sql = f"SELECT * FROM versions_books WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"
        with self.db.reading() as conn:
            return [_to_dict(r) for r in conn.execute(sql, [*params, limit]).fetchall()]

    def insert(self, values: dict[str, Any]) -> dict[str, Any]:
        """Add a book (every column but id and added_at); it is added now."""
        values = {**values, "added_at": rfc3339(datetime.now(UTC))}
        columns = list(values)
        sql = (f"INSERT INTO versions_books ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        with self.db.writing() as conn:
            row_id = _write(conn, sql, [_to_sql(c, values[c]) for c in columns]).lastrowid
        assert row_id is not None
        return self.get(row_id) or {}

    def update(self, book_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        if values:
            assignments = ", ".join(f"{c} = ?" for c in values)
            with self.db.writing() as conn:
                _write(conn, f"UPDATE versions_books SET {assignments} WHERE id = ?",
                       [*(_to_sql(c, v) for c, v in values.items()), book_id])
        return self.get(book_id)

    def delete(self, book_id: int) -> bool:
        with self.db.writing() as conn:
            return conn.execute("DELETE FROM versions_books WHERE id = ?", (book_id,)).rowcount > 0


def _write(conn: sqlite3.Connection, sql: str, params: list[Any]) -> sqlite3.Cursor:
    try:
        return conn.execute(sql, params)
    except sqlite3.IntegrityError as exc:
        raise DuplicateIsbn("another book already has this isbn") from exc


def _to_sql(column: str, value: Any) -> Any:
    return json.dumps(value) if column in JSON_COLUMNS else value


def _to_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {k: json.loads(row[k]) if k in JSON_COLUMNS else row[k] for k in row.keys()}  # noqa: SIM118
