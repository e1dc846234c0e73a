"""The bookshop's tables and all of its SQL: rows of `books` and `authors`, as plain dicts."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from sandbox_api.database import SQLITE_INT_MAX, SandboxDB
from sandbox_api.features.bookshop.seed import generate
from sandbox_api.listing import Keyset

SCHEMA = """
CREATE TABLE authors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    country TEXT,
    born INTEGER
);
CREATE TABLE books (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    author_id INTEGER NOT NULL REFERENCES authors(id),
    year INTEGER NOT NULL,
    isbn TEXT NOT NULL UNIQUE,
    price REAL NOT NULL,
    genre TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX books_author_id ON books(author_id);
"""

TABLES = {"books", "authors"}
JSON_COLUMNS = {"tags"}


class ConflictError(Exception):
    """A write that would break a rule of the data: a duplicate ISBN, an author with books."""


@dataclass(frozen=True)
class Filter:
    """One condition of a list query. `op` is "=" for equality or "contains" for a
    case-insensitive substring match."""

    column: str
    value: Any
    op: str = "="


def seed(conn: sqlite3.Connection, seed_value: int) -> None:
    """Fill the bookshop's tables with the authors and books of `seed_value`."""
    authors, books = generate(seed_value)
    author_ids = [
        conn.execute("INSERT INTO authors (name, country, born) VALUES (?, ?, ?)",
                     (a.name, a.country, a.born)).lastrowid
        for a in authors
    ]
    conn.executemany(
        "INSERT INTO books (title, author_id, year, isbn, price, genre, tags)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(b.title, author_ids[b.author_index], b.year, b.isbn, b.price, b.genre,
          json.dumps(list(b.tags))) for b in books],
    )


class BookshopStore:
    """Reads and writes of one table at a time, over the sandbox's database."""

    def __init__(self, db: SandboxDB) -> None:
        self.db = db

    def get(self, table: str, row_id: int) -> dict[str, Any] | None:
        _check_table(table)
        if not _fits(row_id):
            return None
        with self.db.reading() as conn:
            row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
        return _to_dict(row) if row else None

    def exists(self, table: str, row_id: int) -> bool:
        return self.get(table, row_id) is not None

    def list(self, table: str, filters: list[Filter], sort_column: str, descending: bool,
             after: Keyset | None, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` rows in sort order (ties broken by id), starting after `after`."""
        _check_table(table)
        if not all(_fits(f.value) for f in filters):
            return []  # no row holds a number SQLite cannot even store
        where, params = [], []
        for f in filters:
            if f.op == "contains":
                where.append(f"instr(lower({f.column}), lower(?)) > 0")
            else:
                where.append(f"{f.column} = ?")
            params.append(f.value)
        direction = "DESC" if descending else "ASC"
        beyond = "<" if descending else ">"
        if after is not None and sort_column == "id":
            where.append(f"id {beyond} ?")
            params.append(after.row_id)
        elif after is not None:
            where.append(f"({sort_column} {beyond} ? OR ({sort_column} = ? AND id > ?))")
            params += [after.value, after.value, after.row_id]
        order = "id " + direction if sort_column == "id" else f"{sort_column} {direction}, id ASC"
        sql = f"SELECT * FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order} LIMIT ?"
        with self.db.reading() as conn:
            rows = conn.execute(sql, [*params, limit]).fetchall()
        return [_to_dict(r) for r in rows]

    def insert(self, table: str, values: dict[str, Any]) -> dict[str, Any]:
        _check_table(table)
        columns = list(values)
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        with self.db.writing() as conn:
            row_id = _write(conn, sql, [_to_sql(c, values[c]) for c in columns]).lastrowid
        assert row_id is not None
        return self.get(table, row_id) or {}

    def update(self, table: str, row_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        """Set the given columns of one row; None when the row does not exist."""
        _check_table(table)
        if values and _fits(row_id):
            assignments = ", ".join(f"{c} = ?" for c in values)
            params = [_to_sql(c, v) for c, v in values.items()] + [row_id]
            with self.db.writing() as conn:
                _write(conn, f"UPDATE {table} SET {assignments} WHERE id = ?", params)
        return self.get(table, row_id)

    def delete(self, table: str, row_id: int) -> bool:
        """Delete one row; False when it did not exist."""
        _check_table(table)
        if not _fits(row_id):
            return False
        with self.db.writing() as conn:
            if table == "authors":
                (books,) = conn.execute(
                    "SELECT count(*) FROM books WHERE author_id = ?", (row_id,)).fetchone()
                if books:
                    raise ConflictError(f"author {row_id} still has {books} book(s); delete them "
                                        "or give them another author_id first")
            return conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,)).rowcount > 0


def _fits(value: Any) -> bool:
    return not isinstance(value, int) or -SQLITE_INT_MAX <= value <= SQLITE_INT_MAX


def _write(conn: sqlite3.Connection, sql: str, params: list[Any]) -> sqlite3.Cursor:
    try:
        return conn.execute(sql, params)
    except sqlite3.IntegrityError as exc:
        if "isbn" in str(exc):
            raise ConflictError("another book already has this isbn") from exc
        raise ConflictError("the change conflicts with existing data") from exc


def _check_table(table: str) -> None:
    # table names are interpolated into SQL, so only known ones may pass
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")


def _to_sql(column: str, value: Any) -> Any:
    return json.dumps(value) if column in JSON_COLUMNS else value


def _to_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {k: json.loads(row[k]) if k in JSON_COLUMNS else row[k] for k in row.keys()}  # noqa: SIM118
