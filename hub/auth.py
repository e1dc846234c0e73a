"""Hub tokens and who is asking: Bearer authentication (RFC 6750) and the two roles.

A token is `apilab_` followed by 43 URL-safe characters: 256 random bits from `secrets`. It is
shown once, when `apilab hub add-user` creates it; the hub stores only its SHA-256 hash.

Refusals follow RFC 6750 section 3 and the course's 401-versus-403 rule:
- no credentials (or another scheme): 401, `WWW-Authenticate: Bearer realm="apilab-hub"`;
- a malformed, unknown or revoked token: 401, the same challenge with `error="invalid_token"`
  (one message for all three, so the answer does not tell which tokens once existed);
- a valid token whose role may not do this: 403, with `error="insufficient_scope"`.
Every request spends one unit of its token's rate quota; requests without a valid token spend
their client address's, so guessing tokens is throttled too (OWASP API2).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from httpkit.problems import ProblemException
from httpkit.ratelimit import spend
from hub.records import Role, User
from hub.store import HubStore

TOKEN_PREFIX = "apilab_"
REALM = "apilab-hub"
_TOKEN_SHAPE = re.compile(r"apilab_[A-Za-z0-9_-]{43}")

# Declared for the OpenAPI document (the "Authorize" button); `current_user` does the work,
# because HTTPBearer alone cannot tell a missing token from a bad one.
bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="hubToken", bearerFormat="apilab_<43 characters>",
    description="A hub token, created by `apilab hub add-user NAME --role learner|mentor`.")


def new_token() -> str:
    """A fresh token: the prefix (so leaked tokens are easy to recognise) and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the hub stores instead of the token.

    A fast hash is the right one here. Slow password hashes (bcrypt, argon2) exist to make
    guessing low-entropy passwords expensive; these tokens are 256 random bits, which no amount
    of guessing reaches, so the stretching would only slow down every request. A plain digest
    also lets the hub find the token with one indexed lookup instead of comparing against each.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def challenge(error: str | None = None, description: str | None = None,
              scope: str | None = None) -> dict[str, str]:
    parts = [f'Bearer realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return {"WWW-Authenticate": ", ".join(parts)}


def _spend(request: Request, key: str) -> None:
    spend(request, request.app.state.limiter, key, who="this token")


def current_user(
    request: Request,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User:
    """The user behind the request's Bearer token, or a 401 problem saying what is wrong."""
    address = f"address:{request.client.host if request.client else 'unknown'}"
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if not header or scheme.lower() != "bearer":
        _spend(request, address)
        if "access_token" in request.query_params:
            detail = ("tokens are not accepted in the query string, where logs and browser "
                      "history keep them; send Authorization: Bearer <token>")
        elif header:
            detail = (f"the hub takes Bearer tokens, not {scheme}: send "
                      "Authorization: Bearer <token>")
        else:
            detail = "this needs a hub token: send Authorization: Bearer <token>"
        raise ProblemException(401, detail, headers=challenge())
    token = credentials.strip()
    digest = hash_token(token)
    store: HubStore = request.app.state.store
    user = store.user_for_token(digest) if _TOKEN_SHAPE.fullmatch(token) else None
    if user is None:
        _spend(request, address)
        raise ProblemException(
            401, "the token is not valid: it is malformed, unknown or revoked. Ask your mentor "
            "for a new one", headers=challenge("invalid_token", "unknown or revoked token"))
    _spend(request, f"token:{digest}")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def anyone(request: Request) -> None:
    """For the routes open to all (checking a certificate): each spends its client address's
    quota, as a request with no valid token does."""
    _spend(request, f"address:{request.client.host if request.client else 'unknown'}")


Anyone = Depends(anyone)


def _require(role: Role, doing: str):
    async def dependency(user: CurrentUser) -> User:  # async: no I/O, no worker thread
        if user.role != role:
            raise ProblemException(
                403, f"only {role}s may {doing}; your token belongs to {user.name}, a {user.role}",
                headers=challenge("insufficient_scope", scope=role))
        return user

    return dependency


LearnerUser = Annotated[User, Depends(_require("learner", "send submissions"))]
MentorUser = Annotated[User, Depends(_require("mentor", "do this"))]
