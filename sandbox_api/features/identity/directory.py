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


# The directory keeps hashes, never passwords, as a real one does: `hash_secret` of the demo
# passwords the lessons give (alice's "wonderland", bob's "builder", the reporting job's
# "reports-secret"), each salted with its owner's identifier. Written out rather than computed
# at import: scrypt is slow on purpose, and every sandbox start would pay for it.
USERS = {
    user.username: user
    for user in (
        User("usr_1f3a9c", "alice", "Alice Lindqvist",
             "50976caee8921fbf59f85a178f21112c53d4b83676649d2c66d69972ef2d3860"
             "2e51f6dbd7ad5882453931960aefe7c8d1b11d4b93941835f9720b2e16949765"),
        User("usr_7b2e40", "bob", "Bob Okafor",
             "bb183261f23096b5789d46474c1917ccb3bad71fc26e6758f90415f632c7e29f"
             "45d61a607e3c24f16f66a6fdc32feada92ca80b4f7bd263e77930aa5a4616cf7"),
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
               secret_hash="24272ca2d8d70b9b01b68936d9a928f7b105aaf44054d8a0aabbd14e26608c99"
                           "538d948e09fcb0f9703b027fee984a3d5dbed15d6cc1724bc05149c12215e02e",
               auth_methods=("client_secret_basic", "client_secret_post")),
    )
}


def audience_of(scope: str) -> str | None:
    """The one audience the scopes in `scope` belong to; None when they belong to several or none."""
    audiences = {AUDIENCES.get(s.split(":")[0]) for s in scope_to_list(scope or "")}
    return audiences.pop() if len(audiences) == 1 and None not in audiences else None
