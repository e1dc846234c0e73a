"""The identity provider's tables: authorization codes, refresh tokens and their families, the
access tokens issued (by jti, for revocation and introspection), API keys, and orders.

All of the feature's SQL is in this module. Secrets are stored as SHA-256 hashes: codes, refresh
tokens and API keys are long random strings, so a fast hash is enough to make a stolen table
useless (passwords, which people choose, get scrypt instead; see directory.py).
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import time
from typing import Any

from sandbox_api.database import SandboxDB
from sandbox_api.features.identity.directory import USERS

SCHEMA = """
CREATE TABLE identity_codes (
    code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, sub TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, challenge TEXT, challenge_method TEXT,
    expires_at REAL NOT NULL
);
CREATE TABLE identity_refresh_tokens (
    token_hash TEXT PRIMARY KEY, family TEXT NOT NULL, client_id TEXT NOT NULL, sub TEXT NOT NULL,
    scope TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'rotated', 'revoked'))
);
CREATE INDEX identity_refresh_family ON identity_refresh_tokens(family);
CREATE TABLE identity_access_tokens (
    jti TEXT PRIMARY KEY, family TEXT, client_id TEXT NOT NULL, sub TEXT NOT NULL,
    scope TEXT NOT NULL, aud TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX identity_access_family ON identity_access_tokens(family);
CREATE TABLE identity_api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sub TEXT NOT NULL, name TEXT NOT NULL,
    prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL,
    last_used_at REAL
);
CREATE TABLE identity_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sub TEXT NOT NULL, book_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL, created_at REAL NOT NULL
);
"""
ORDERS_PER_USER = {"alice": 2, "bob": 1}
ORDER_COLUMNS = ("id, book_id, quantity, "
                 "strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch') AS created_at")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()



def seed(conn: sqlite3.Connection, seed_value: int) -> None:
    """Each user's orders for `seed_value`; every other table starts empty."""
    rng, now = random.Random(seed_value), time.time()
    for username, count in ORDERS_PER_USER.items():
        for _ in range(count):
            conn.execute("INSERT INTO identity_orders (sub, book_id, quantity, created_at) "
                         "VALUES (?, ?, ?, ?)",
                         (USERS[username].sub, rng.randint(1, 40), rng.randint(1, 3), now))


class IdentityStore:
    """Rows of the identity tables in the sandbox's database, as plain dicts."""

    def __init__(self, db: SandboxDB) -> None:
        self.db = db

    def _rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with self.db.reading() as conn:
            return [dict(row) for row in conn.execute(sql, params).fetchall()]

    def _write(self, sql: str, *params: Any) -> sqlite3.Cursor:
        with self.db.writing() as conn:
            return conn.execute(sql, params)

    # --- authorization codes (RFC 6749 §4.1, used once) ------------------------------------------

    def save_code(self, code: str, **row: Any) -> None:
        self._write("INSERT INTO identity_codes (code_hash, client_id, sub, redirect_uri, scope, challenge, "
                    "challenge_method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    digest(code), row["client_id"], row["sub"], row["redirect_uri"], row["scope"],
                    row["challenge"], row["challenge_method"], row["expires_at"])

    def find_code(self, code: str, client_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM identity_codes WHERE code_hash = ? AND client_id = ? "
                          "AND expires_at > ?", digest(code), client_id, time.time())
        return rows[0] if rows else None

    def delete_code(self, code_hash: str) -> None:
        self._write("DELETE FROM identity_codes WHERE code_hash = ?", code_hash)

    # --- refresh tokens: rotated on use, a family revoked on reuse (RFC 9700 §4.14.2) ------------

    def save_refresh_token(self, token: str, family: str, client_id: str, sub: str, scope: str,
                           lifetime: float) -> None:
        now = time.time()
        self._write("INSERT INTO identity_refresh_tokens VALUES (?, ?, ?, ?, ?, ?, ?, 'active')",
                    digest(token), family, client_id, sub, scope, now, now + lifetime)

    def find_refresh_token(self, token: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM identity_refresh_tokens WHERE token_hash = ?", digest(token))
        return rows[0] if rows else None

    def mark_refresh_token(self, token_hash: str, state: str) -> None:
        self._write("UPDATE identity_refresh_tokens SET state = ? WHERE token_hash = ? AND state = 'active'",
                    state, token_hash)

    def revoke_family(self, family: str) -> None:
        """Revoke every refresh token and access token descended from one authorization."""
        with self.db.writing() as conn:
            conn.execute("UPDATE identity_refresh_tokens SET state = 'revoked' WHERE family = ?", (family,))
            conn.execute("UPDATE identity_access_tokens SET revoked = 1 WHERE family = ?", (family,))

    # --- access tokens, by jti ------------------------------------------------------------------

    def save_access_token(self, claims: dict[str, Any], family: str | None) -> None:
        self._write("INSERT INTO identity_access_tokens (jti, family, client_id, sub, scope, aud, issued_at, "
                    "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    claims["jti"], family, claims["client_id"], claims["sub"], claims["scope"],
                    claims["aud"], claims["iat"], claims["exp"])

    def find_access_token(self, jti: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM identity_access_tokens WHERE jti = ?", jti)
        return rows[0] if rows else None

    def revoke_access_token(self, jti: str) -> None:
        self._write("UPDATE identity_access_tokens SET revoked = 1 WHERE jti = ?", jti)

    # --- API keys: shown once, stored hashed, listed by prefix ----------------------------------

    def add_api_key(self, sub: str, name: str, key: str, prefix: str) -> dict[str, Any]:
        cursor = self._write("INSERT INTO identity_api_keys (sub, name, prefix, key_hash, created_at) "
                             "VALUES (?, ?, ?, ?, ?)", sub, name, prefix, digest(key), time.time())
        return self._rows("SELECT * FROM identity_api_keys WHERE id = ?", cursor.lastrowid)[0]

    def api_keys_of(self, sub: str) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM identity_api_keys WHERE sub = ? ORDER BY id", sub)

    def owner_of_api_key(self, key: str) -> str | None:
        """The sub whose key this is (and note its use), or None for an unknown or revoked key."""
        key_hash = digest(key)
        rows = self._rows("SELECT sub FROM identity_api_keys WHERE key_hash = ?", key_hash)
        if not rows:
            return None
        self._write("UPDATE identity_api_keys SET last_used_at = ? WHERE key_hash = ?", time.time(), key_hash)
        return rows[0]["sub"]

    def delete_api_key(self, sub: str, key_id: int) -> bool:
        return self._write("DELETE FROM identity_api_keys WHERE id = ? AND sub = ?", key_id, sub).rowcount > 0

    # --- orders: each user's own -----------------------------------------------------------------

    def book_exists(self, book_id: int) -> bool:
        """Whether the bookshop (lesson 1's feature) has this book; any id will do without it."""
        try:
            return bool(self._rows("SELECT 1 FROM books WHERE id = ?", book_id))
        except sqlite3.OperationalError:  # the bookshop is not mounted in this sandbox
            return True

    def orders_of(self, sub: str) -> list[dict[str, Any]]:
        return self._rows(f"SELECT {ORDER_COLUMNS} FROM identity_orders WHERE sub = ? ORDER BY id", sub)

    def order(self, order_id: int, sub: str) -> dict[str, Any] | None:
        # Owner in the WHERE clause: another user's order is not found, not forbidden (OWASP API1)
        rows = self._rows(f"SELECT {ORDER_COLUMNS} FROM identity_orders WHERE id = ? AND sub = ?",
                          order_id, sub)
        return rows[0] if rows else None

    def add_order(self, sub: str, book_id: int, quantity: int) -> dict[str, Any]:
        cursor = self._write("INSERT INTO identity_orders (sub, book_id, quantity, created_at) "
                             "VALUES (?, ?, ?, ?)", sub, book_id, quantity, time.time())
        return self.order(cursor.lastrowid or 0, sub) or {}

    def delete_order(self, order_id: int, sub: str) -> bool:
        return self._write("DELETE FROM identity_orders WHERE id = ? AND sub = ?",
                           order_id, sub).rowcount > 0
