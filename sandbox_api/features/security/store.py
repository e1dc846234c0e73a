"""The lab shop's tables: customers, their orders, the catalogue, and coupon redemptions.

All of the lab's SQL is here. Alice and Bob are lesson 2's users, with lesson 2's passwords
(their scrypt hashes are reused); the administrator's password is random and never told.
"""

from __future__ import annotations

import random
import secrets
import sqlite3
from typing import Any

from sandbox_api.database import SandboxDB
from sandbox_api.features.identity.directory import USERS, hash_secret

SCHEMA = """
CREATE TABLE security_lab_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
    role TEXT NOT NULL, password_hash TEXT NOT NULL, salt TEXT NOT NULL,
    balance_cents INTEGER NOT NULL DEFAULT 0, avatar_url TEXT
);
CREATE TABLE security_lab_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL, shipping_address TEXT NOT NULL
);
CREATE TABLE security_lab_products (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, price_cents INTEGER NOT NULL
);
CREATE TABLE security_lab_redemptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, code TEXT NOT NULL
);
"""
PRODUCT_COUNT = 240
ADDRESSES = ["12 Rue des Lilas, Lyon", "4 Kingfisher Lane, Leeds", "88 Calle Mayor, Zaragoza",
             "301 Elm Street, Dayton", "7 Birkenweg, Freiburg"]
WORDS = ["Atlas", "Garden", "River", "Night", "Glass", "Salt", "Paper", "Winter", "Silver", "Fox"]
USER_FIELDS = "id, username, email, role, balance_cents, avatar_url"


def seed(conn: sqlite3.Connection, seed_value: int) -> None:
    """Alice, Bob and the administrator, a few orders each, and the catalogue."""
    rng = random.Random(seed_value)
    for username in ("alice", "bob"):
        user = USERS[username]
        conn.execute("INSERT INTO security_lab_users (username, email, role, password_hash, salt) "
                     "VALUES (?, ?, 'customer', ?, ?)",
                     (username, f"{username}@bookshop.test", user.password_hash, user.sub))
    salt = secrets.token_hex(8)
    conn.execute("INSERT INTO security_lab_users (username, email, role, password_hash, salt) "
                 "VALUES ('admin', 'admin@bookshop.test', 'admin', ?, ?)",
                 (hash_secret(secrets.token_urlsafe(24), salt), salt))
    for index in range(PRODUCT_COUNT):
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} vol. {index + 1}"
        conn.execute("INSERT INTO security_lab_products (name, price_cents) VALUES (?, ?)",
                     (name, rng.randrange(500, 4500, 5)))
    for user_id, count in ((1, 2), (2, 2), (3, 1)):
        for _ in range(count):
            conn.execute("INSERT INTO security_lab_orders (user_id, product_id, quantity, "
                         "shipping_address) VALUES (?, ?, ?, ?)",
                         (user_id, rng.randint(1, PRODUCT_COUNT), rng.randint(1, 3),
                          rng.choice(ADDRESSES)))


class LabStore:
    """Rows of the lab's tables, as plain dicts."""

    def __init__(self, db: SandboxDB) -> None:
        self.db = db

    def _rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with self.db.reading() as conn:
            return [dict(row) for row in conn.execute(sql, params).fetchall()]

    def _one(self, sql: str, *params: Any) -> dict[str, Any] | None:
        rows = self._rows(sql, *params)
        return rows[0] if rows else None

    # --- users ----------------------------------------------------------------------------------

    def user(self, user_id: int | None) -> dict[str, Any] | None:
        return self._one(f"SELECT {USER_FIELDS} FROM security_lab_users WHERE id = ?", user_id)

    def credentials(self, username: str) -> dict[str, Any] | None:
        """Everything about a user, hash included, for logging in (and for leaking)."""
        return self._one("SELECT * FROM security_lab_users WHERE username = ?", username)

    def all_users_with_secrets(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM security_lab_users ORDER BY id")

    def add_user(self, username: str, email: str, role: str, password: str) -> dict[str, Any] | None:
        """The new user, or None when the username is taken."""
        salt = secrets.token_hex(8)
        try:
            with self.db.writing() as conn:
                cursor = conn.execute(
                    "INSERT INTO security_lab_users (username, email, role, password_hash, salt) "
                    "VALUES (?, ?, ?, ?, ?)", (username, email, role, hash_secret(password, salt), salt))
        except sqlite3.IntegrityError:
            return None
        return self.user(cursor.lastrowid)

    def delete_user(self, user_id: int | None) -> bool:
        with self.db.writing() as conn:
            return conn.execute("DELETE FROM security_lab_users WHERE id = ?", (user_id,)).rowcount > 0

    def set_avatar(self, user_id: int, url: str) -> None:
        with self.db.writing() as conn:
            conn.execute("UPDATE security_lab_users SET avatar_url = ? WHERE id = ?", (url, user_id))

    # --- orders and products --------------------------------------------------------------------

    def order(self, order_id: int | None) -> dict[str, Any] | None:
        """Any order by id, whoever's it is: the lab's API1 weakness lives in this query."""
        return self._one("SELECT * FROM security_lab_orders WHERE id = ?", order_id)

    def orders_of(self, user_id: int) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM security_lab_orders WHERE user_id = ? ORDER BY id", user_id)

    def products(self, limit: int, sort: str) -> list[dict[str, Any]]:
        # `sort` is one of the columns the route allows: never text from the request
        return self._rows(f"SELECT * FROM security_lab_products ORDER BY {sort}, id LIMIT ?", limit)

    # --- coupons --------------------------------------------------------------------------------

    def redeem(self, user_id: int, code: str, amount_cents: int) -> tuple[int, int]:
        """Credit the coupon, however often it was redeemed before: (times redeemed, balance)."""
        with self.db.writing() as conn:
            conn.execute("INSERT INTO security_lab_redemptions (user_id, code) VALUES (?, ?)",
                         (user_id, code))
            conn.execute("UPDATE security_lab_users SET balance_cents = balance_cents + ? "
                         "WHERE id = ?", (amount_cents, user_id))
            times = conn.execute("SELECT count(*) FROM security_lab_redemptions WHERE user_id = ? "
                                 "AND code = ?", (user_id, code)).fetchone()[0]
            balance = conn.execute("SELECT balance_cents FROM security_lab_users WHERE id = ?",
                                   (user_id,)).fetchone()[0]
        return times, balance
