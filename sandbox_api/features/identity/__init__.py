"""The `identity` feature: the sandbox as the course's OAuth 2 identity provider (lesson 2).

It adds, under paths of its own and without changing any earlier lesson's routes: the
authorization server (`/.well-known/...`, `/oauth/...`), API keys (`/me/api-keys`), the
bookshop's protected orders (`/orders`), and two loopback-only course tools (`/admin/tokens`,
`/admin/keys/rotate`) that the grader uses to make tokens with chosen defects.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sandbox_api.feature import Feature
from sandbox_api.features.identity import routes_account, routes_admin, routes_oauth, routes_orders, store
from sandbox_api.features.identity.keys import KeyRing
from sandbox_api.features.identity.oauth import ACCESS_TOKEN_LIFETIME, IdentityServer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from sandbox_api.settings import SandboxSettings

TAGS = [
    {"name": "oauth", "description": "The authorization server: metadata (RFC 8414), keys "
     "(RFC 7517), authorization code with PKCE (RFC 7636), client credentials, refresh tokens "
     "that rotate, revocation (RFC 7009) and introspection (RFC 7662). Users: alice / wonderland "
     "and bob / builder. Clients: `bookshop-app` (public, redirect URI "
     "http://127.0.0.1:9999/callback) and `bookshop-reports` (secret `reports-secret`). Its "
     "errors are OAuth's own (`{\"error\": ...}`, RFC 6749 §5.2), not problem details."},
    {"name": "accounts", "description": "Who you are, and your API keys: shown once, stored "
     "hashed, listed by prefix, revocable."},
    {"name": "orders", "description": "Your own orders, protected by a bearer token (scopes "
     "`orders:read`, `orders:write`) or an API key. 401 and 403 answer with `WWW-Authenticate`."},
    {"name": routes_admin.TAG, "description": "Not OAuth: tools for the course, answering on "
     "loopback only. Mint a token with chosen claims, or rotate the signing key."},
]


def setup(app: FastAPI, settings: SandboxSettings) -> None:
    """The signing keys (not a table: they live as long as the process) and the server."""
    # Authlib refuses OAuth over plain HTTP except on loopback. The practice API has no TLS on
    # purpose, and may be reached by another name (a classroom machine, a test client), so it
    # allows what Authlib's development switch allows; the reading says real servers need TLS.
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    keys = KeyRing(keep_retired_for=ACCESS_TOKEN_LIFETIME + 60)
    app.state.identity_server = IdentityServer(store.IdentityStore(app.state.db), keys)


FEATURE = Feature(
    name="identity",
    summary="Lesson 2: an OAuth 2 identity provider with JWT access tokens, API keys, and each "
            "user's own orders.",
    routers=[routes_oauth.router, routes_account.router, routes_orders.router, routes_admin.router],
    tags=TAGS,
    schema=store.SCHEMA,
    seed=store.seed,
    setup=setup,
    links={"authorization server": "/.well-known/oauth-authorization-server", "orders": "/orders"},
)
