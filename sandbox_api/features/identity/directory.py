"""Who the identity provider knows: its users, its clients, and which audience each scope is for.

These are fixed and documented (the notebook and the grader log in as Alice and Bob), so they
live here as constants rather than in tables. Passwords and client secrets are kept only as
hashes, as a real server would keep them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import ClientMixin, scope_to_list

# scope prefix -> the audience (RFC 9068 `aud`) of tokens carrying such scopes. A token is for one
# resource server, so one request may not mix scopes of two audiences (RFC 9068 §3).
AUDIENCES = {
    "orders": "urn:apilab:bookshop",
    "notes": "urn:apilab:notes",
}
SCOPES = {
    "orders:read": "Read your own orders at the bookshop.",
    "orders:write": "Place and cancel your own orders at the bookshop.",
    "notes:read": "Read your notes (the resource server you build in the exercise).",
    "notes:write": "Write and delete your notes (the resource server you build in the exercise).",
}


def hash_secret(secret: str, salt: str) -> str:
    """scrypt: a slow, salted hash, so a stolen table does not give the passwords away."""
    return hashlib.scrypt(secret.encode(), salt=salt.encode(), n=2**12, r=8, p=1).hex()


def secret_matches(secret: str, salt: str, stored: str) -> bool:
    return hmac.compare_digest(hash_secret(secret, salt), stored)


@dataclass(frozen=True)
class User:
    sub: str  # the subject identifier in tokens: opaque and stable, never the username
    username: str
    name: str
    password_hash: str

    def get_user_id(self) -> str:  # what authlib calls for `sub`
        return self.sub

    def check_password(self, password: str) -> bool:
        return secret_matches(password, self.sub, self.password_hash)


@dataclass(frozen=True)
class Client(ClientMixin):
    """A registered OAuth client (RFC 6749 §2). Public clients have no secret and must use PKCE."""

    client_id: str
    name: str
    grant_types: tuple[str, ...]
    redirect_uris: tuple[str, ...] = ()
    secret_hash: str | None = None
    scopes: tuple[str, ...] = tuple(SCOPES)
    auth_methods: tuple[str, ...] = field(default=("none",))

    @property
    def public(self) -> bool:
        return self.secret_hash is None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(s for s in scope_to_list(scope) if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # exact string match, as OAuth 2.1 requires: no prefixes, no wildcards
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and secret_matches(
            client_secret, self.client_id, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in self.auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def _user(sub: str, username: str, name: str, password: str) -> User:
    return User(sub, username, name, hash_secret(password, sub))


USERS = {
    user.username: user
    for user in (
        _user("usr_1f3a9c", "alice", "Alice Lindqvist", "wonderland"),
        _user("usr_7b2e40", "bob", "Bob Okafor", "builder"),
    )
}
USERS_BY_SUB = {user.sub: user for user in USERS.values()}

# The loopback redirect of a native app (RFC 8252 §7.3): nothing needs to listen there, the
# notebook reads the code from the Location header of the 302.
APP_REDIRECT_URI = "http://127.0.0.1:9999/callback"

CLIENTS = {
    client.client_id: client
    for client in (
        Client("bookshop-app", "The bookshop's app (a public client: PKCE, no secret)",
               grant_types=("authorization_code", "refresh_token"),
               redirect_uris=(APP_REDIRECT_URI,)),
        Client("bookshop-reports", "A reporting job (a confidential client with a secret)",
               grant_types=("client_credentials",),
               secret_hash=hash_secret("reports-secret", "bookshop-reports"),
               auth_methods=("client_secret_basic", "client_secret_post")),
    )
}


def audience_of(scope: str) -> str | None:
    """The one audience the scopes in `scope` belong to; None when they belong to several or none."""
    audiences = {AUDIENCES.get(s.split(":")[0]) for s in scope_to_list(scope or "")}
    return audiences.pop() if len(audiences) == 1 and None not in audiences else None
