"""The `identity` feature: the sandbox as the course's OAuth 2 identity provider (lesson 2).

It adds, under paths of its own and without changing any earlier lesson's routes: the
authorization server (`/.well-known/...`, `/oauth/...`), API keys (`/me/api-keys`), the
bookshop's protected orders (`/orders`), and two loopback-only course tools (`/admin/tokens`,
`/admin/keys/rotate`) that the grader uses to make tokens with chosen defects.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sandbox_api.features.identity import routes_account, routes_admin, routes_oauth, routes_orders
from sandbox_api.features.identity.keys import KeyRing
from sandbox_api.features.identity.oauth import ACCESS_TOKEN_LIFETIME, IdentityServer
from sandbox_api.features.identity.store import IdentityStore

NAME = "identity"
SUMMARY = "An OAuth 2 identity provider with JWT access tokens, API keys and protected orders."
ROUTERS = [routes_oauth.router, routes_account.router, routes_orders.router, routes_admin.router]
TAGS = [
    {"name": "oauth", "description": "The authorization server: metadata (RFC 8414), keys "
     "(RFC 7517), authorization code with PKCE (RFC 7636), client credentials, refresh tokens "
     "that rotate, revocation (RFC 7009) and introspection (RFC 7662). Users: alice / wonderland "
     "and bob / builder. Clients: `bookshop-app` (public, redirect URI "
     "http://127.0.0.1:9999/callback) and `bookshop-reports` (secret `reports-secret`)."},
    {"name": "accounts", "description": "Who you are, and your API keys: shown once, stored "
     "hashed, listed by prefix, revocable."},
    {"name": "orders", "description": "Your own orders, protected by a bearer token (scopes "
     "`orders:read`, `orders:write`) or an API key. 401 and 403 answer with `WWW-Authenticate`."},
    {"name": routes_admin.TAG, "description": "Not OAuth: tools for the course, answering on "
     "loopback only. Mint a token with chosen claims, or rotate the signing key."},
]


def install(app: FastAPI, database: Path, seed: int) -> None:
    """Mount the feature on `app`: its state (keys, tables, server) and its routes."""
    keys = KeyRing(keep_retired_for=ACCESS_TOKEN_LIFETIME + 60)
    store = IdentityStore(database)
    store.reset(seed)
    app.state.identity_server = IdentityServer(store, keys)
    for router in ROUTERS:
        app.include_router(router)
