"""/me and /me/api-keys: who you are, and the API keys of your account.

An API key is shown once, when it is created; the server keeps only its hash and its first
characters (the prefix), which is how the list shows it. Managing keys needs the account's
password (HTTP Basic, RFC 7617), like a "personal access tokens" page would.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field

from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException
from sandbox_api.deps import row_id
from sandbox_api.features.identity.directory import USERS, USERS_BY_SUB, User
from sandbox_api.features.identity.guard import REALM, Caller, authenticated, challenge, identity_server

router = APIRouter(tags=["accounts"])
basic_scheme = HTTPBasic(auto_error=False, realm=REALM,
                         description="Your username and password (alice / wonderland, bob / builder).")
KEY_PREFIX = "bk_"
SHOWN_PREFIX = 8  # characters of a key (after bk_) that the list shows


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=60, examples=["my laptop"])]


def account(request: Request,
            credentials: Annotated[HTTPBasicCredentials | None, Depends(basic_scheme)]) -> User:
    """The user whose username and password came in `Authorization: Basic`; 401 otherwise."""
    user = USERS.get(credentials.username) if credentials else None
    if user is None or not user.check_password(credentials.password):
        detail = "sign in with your username and password (HTTP Basic)"
        raise ProblemException(401, detail, headers={"WWW-Authenticate": challenge(scheme="Basic")})
    return user


@router.get("/me", name="me", responses=problem_responses({
    400: "A token in the URL (`access_token`): send it in the Authorization header.",
    401: "No valid token or API key was sent."}))
def me(caller: Annotated[Caller, Depends(authenticated)]) -> dict[str, Any]:
    """Who the token or API key belongs to, and what it allows."""
    user = USERS_BY_SUB.get(caller.sub)
    return {"sub": caller.sub, "username": user.username if user else None,
            "name": user.name if user else None, "scopes": sorted(caller.scopes),
            "authenticated_with": caller.via}


def _public(row: dict[str, Any]) -> dict[str, Any]:
    def when(seconds: float | None) -> str | None:
        return datetime.fromtimestamp(seconds, UTC).isoformat() if seconds else None

    return {"id": row["id"], "name": row["name"], "prefix": row["prefix"],
            "created_at": when(row["created_at"]), "last_used_at": when(row["last_used_at"])}


@router.post("/me/api-keys", name="create_api_key", status_code=201,
             responses=problem_responses({401: "Wrong or missing username and password."}))
def create_api_key(body: ApiKeyCreate, request: Request, response: Response,
                   user: Annotated[User, Depends(account)]) -> dict[str, Any]:
    """A new API key. The `key` is in this response and nowhere else, ever: copy it now."""
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    row = identity_server(request).store.add_api_key(user.sub, body.name, key,
                                                     key[:len(KEY_PREFIX) + SHOWN_PREFIX])
    response.headers["Location"] = f"/me/api-keys/{row['id']}"
    response.headers["Cache-Control"] = "no-store"
    return {**_public(row), "key": key}


@router.get("/me/api-keys", name="list_api_keys",
            responses=problem_responses({401: "Wrong or missing username and password."}))
def list_api_keys(request: Request, user: Annotated[User, Depends(account)]) -> dict[str, Any]:
    """Your keys, each shown by its prefix only: the full key is not stored, so it cannot be shown."""
    return {"items": [_public(row) for row in identity_server(request).store.api_keys_of(user.sub)]}


@router.delete("/me/api-keys/{key_id}", name="revoke_api_key", status_code=204,
               response_class=Response,
               responses=problem_responses({401: "Wrong or missing username and password.",
                                            404: "You have no key with this id."}))
def revoke_api_key(key_id: str, request: Request, user: Annotated[User, Depends(account)]) -> Response:
    """Revoke a key: from now on it is refused."""
    if not identity_server(request).store.delete_api_key(user.sub, row_id(key_id)):
        raise ProblemException(404, f"you have no API key with id {key_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
