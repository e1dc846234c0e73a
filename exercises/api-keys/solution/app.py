"""API keys: the reference solution of the API-keys exercise (lesson 2).

Run it from this folder with `uvicorn app:app --port 8001`, then `apilab check api-keys`.

Read it top to bottom: how a key is made and kept (a hash and a prefix, never the key), the two
ways in (the owner's password for /keys, a key for /whoami), the lockout that slows guessing,
the routes, and the errors. Keys live in memory, so they are gone when the server stops.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import time
from collections import defaultdict, deque
from datetime import UTC, datetime
from http import HTTPStatus
from itertools import count
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

ADMIN_USER = "admin"
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "correct-horse-battery-staple")
KEY_NAMESPACE = "ak_"  # lets secret scanners recognise a leaked key
PREFIX_LENGTH = 11  # "ak_" and 8 random characters: enough to tell keys apart, useless alone
GUESSES_ALLOWED, GUESS_WINDOW, LOCKOUT = 10, 5.0, 5.0  # 10 wrong keys in 5 s: 5 s locked out

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="API keys", redirect_slashes=False)


# --- keys: made once, kept as a hash --------------------------------------------------------------


def new_key() -> str:
    # 32 random bytes from the OS's secure source: 43 URL-safe characters, unguessable.
    return KEY_NAMESPACE + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    # A fast hash is right here: a key has 256 bits of randomness, so nobody can try them all.
    # Passwords, which people choose, need a slow one (scrypt, argon2) instead.
    return hashlib.sha256(key.encode()).hexdigest()


KEYS: dict[int, dict[str, Any]] = {}  # id -> {id, name, prefix, created_at, hash}
BY_HASH: dict[str, int] = {}  # hash -> id: finding a key costs one lookup, not a scan
NEXT_ID = count(1)


def public(key: dict[str, Any]) -> dict[str, Any]:
    """What a client may see of a stored key: never its hash, and the key itself is not here."""
    return {name: key[name] for name in ("id", "name", "prefix", "created_at")}


# --- the owner: HTTP Basic on /keys ---------------------------------------------------------------

basic = HTTPBasic(auto_error=False, realm="keys")


def owner(credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> None:
    """The account owner's password (RFC 7617), compared in constant time; 401 otherwise."""
    ok = credentials is not None and all([
        hmac.compare_digest(credentials.username.encode(), ADMIN_USER.encode()),
        hmac.compare_digest(credentials.password.encode(), ADMIN_PASSWORD.encode()),
    ])
    if not ok:
        raise HTTPException(401, "sign in with the account's username and password (HTTP Basic)",
                            headers={"WWW-Authenticate": 'Basic realm="keys"'})


Owner = Depends(owner)


# --- a program: X-API-Key on /whoami, with a lockout for guessers ---------------------------------

WRONG: dict[str, deque[float]] = defaultdict(deque)  # client address -> times of wrong keys
LOCKED_UNTIL: dict[str, float] = {}


def api_key_challenge(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'})


def caller_key(request: Request) -> dict[str, Any]:
    """The stored key whose hash matches X-API-Key (RFC 6585 §4: 429 while locked out)."""
    # Only the header: ?api_key= is not even looked at, so such a request simply has no key.
    presented = request.headers.get("x-api-key")
    if not presented:
        raise api_key_challenge("send your API key in the X-API-Key header")
    address = request.client.host if request.client else "unknown"
    now = time.monotonic()
    # The lockout comes before the key is checked: while it lasts, a right guess looks exactly
    # like a wrong one, so guessing gets nowhere.
    if LOCKED_UNTIL.get(address, 0) > now:
        wait = math.ceil(LOCKED_UNTIL[address] - now)
        raise HTTPException(429, f"too many wrong keys from your address; try again in {wait} s",
                            headers={"Retry-After": str(wait)})
    key_id = BY_HASH.get(digest(presented))  # a dict lookup of a hash: no timing hint either
    if key_id is None:
        note_wrong_key(address, now)
        raise api_key_challenge("this API key is not valid")
    return KEYS[key_id]


def note_wrong_key(address: str, now: float) -> None:
    recent = WRONG[address]
    recent.append(now)
    while recent and recent[0] <= now - GUESS_WINDOW:
        recent.popleft()
    if len(recent) >= GUESSES_ALLOWED:
        LOCKED_UNTIL[address] = now + LOCKOUT
        recent.clear()


# --- routes ---------------------------------------------------------------------------------------


class KeyIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]


@app.post("/keys", status_code=201, dependencies=[Owner])
async def create_key(body: KeyIn, response: Response) -> dict[str, Any]:
    """A new key. Its full value is in this response and nowhere else, ever."""
    key, key_id = new_key(), next(NEXT_ID)
    KEYS[key_id] = {"id": key_id, "name": body.name, "prefix": key[:PREFIX_LENGTH],
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "hash": digest(key)}
    BY_HASH[KEYS[key_id]["hash"]] = key_id
    response.headers["Location"] = f"/keys/{key_id}"
    response.headers["Cache-Control"] = "no-store"  # no copy of the key in any cache
    return {**public(KEYS[key_id]), "key": key}


@app.get("/keys", dependencies=[Owner])
async def list_keys() -> dict[str, Any]:
    return {"items": [public(key) for key in KEYS.values()]}


def stored(key_id: int) -> dict[str, Any]:
    if key_id not in KEYS:
        raise HTTPException(404, f"there is no key with id {key_id}")
    return KEYS[key_id]


@app.get("/keys/{key_id}", dependencies=[Owner])
async def get_key(key_id: int) -> dict[str, Any]:
    return public(stored(key_id))


@app.delete("/keys/{key_id}", status_code=204, dependencies=[Owner])
async def revoke_key(key_id: int) -> Response:
    """Revoke: the hash is forgotten, so the key matches nothing from now on."""
    del BY_HASH[stored(key_id)["hash"]]
    del KEYS[key_id]
    return Response(status_code=204)


@app.get("/whoami")
async def whoami(key: Annotated[dict[str, Any], Depends(caller_key)]) -> dict[str, Any]:
    return {"id": key["id"], "name": key["name"], "prefix": key["prefix"]}


# --- errors: RFC 9457 problem details -------------------------------------------------------------


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail}
    return JSONResponse(body, status, headers=headers, media_type="application/problem+json")


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first matching route's methods; Allow must name every method
        # this URI supports (RFC 9110 §15.5.6), from all the routes that match it.
        methods = {m for route in app.routes if isinstance(route, Route) and route.methods
                   and route.path_regex.match(request.url.path) for m in route.methods}
        headers["Allow"] = ", ".join(m for m in ("GET", "HEAD", "POST", "DELETE") if m in methods)
    return problem(exc.status_code, str(exc.detail), headers)


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    if any(error["loc"][0] == "path" for error in exc.errors()):
        return problem(404, f"there is nothing at {request.url.path}")
    fields = ", ".join(".".join(str(p) for p in error["loc"][1:]) or "body" for error in exc.errors())
    return problem(422, f"invalid: {fields}")
