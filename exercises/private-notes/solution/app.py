"""Private notes: the reference solution of the resource-server exercise (lesson 2).

Run it from this folder with `uvicorn app:app --port 8001` while the sandbox runs, then
`apilab check private-notes`.

Read it top to bottom: the configuration, the key cache, token validation (the heart of it),
the dependency that turns a request into a caller with scopes, the routes, and the errors.
Notes live in memory, so they are gone when the server stops.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from http import HTTPStatus
from itertools import count
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

# --- configuration --------------------------------------------------------------------------------

ISSUER = os.environ.get("SANDBOX_URL", "http://127.0.0.1:8000").rstrip("/")
AUDIENCE = "urn:apilab:notes"
# Our allow-list, never the token's own claim: a token may not choose how it is checked.
ALGORITHMS = ["RS256"]
LEEWAY = 30  # seconds of clock disagreement forgiven on exp and nbf
REFETCH_AT_MOST_EVERY = 1.0  # seconds: forged kids must not turn us into a flood of JWKS requests

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="Private notes", redirect_slashes=False)


# --- the issuer's keys ----------------------------------------------------------------------------


class KeyCache:
    """The issuer's JWKS, fetched on first use and again when a token names an unknown `kid`."""

    def __init__(self) -> None:
        self.keys: KeySet | None = None
        self.fetched_at = 0.0

    async def key_set_for(self, kid: str | None) -> KeySet:
        """A key set holding the key named `kid`, refetched once if `kid` is not known yet."""
        known = self.keys is not None and any(key.kid == kid for key in self.keys)
        if not known and time.monotonic() - self.fetched_at >= REFETCH_AT_MOST_EVERY:
            await self._fetch()
        if self.keys is None:
            raise HTTPException(503, "the identity provider's keys cannot be fetched right now")
        return self.keys

    async def _fetch(self) -> None:
        self.fetched_at = time.monotonic()
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            # RFC 8414: the metadata says where the keys are; we never take a URL from a token.
            metadata = (await client.get(f"{ISSUER}/.well-known/oauth-authorization-server")).json()
            document = (await client.get(metadata["jwks_uri"])).json()
        self.keys = KeySet.import_key_set(document)


KEYS = KeyCache()


# --- validating an access token (RFC 9068 §4, RFC 8725) -------------------------------------------


@dataclass(frozen=True)
class Caller:
    sub: str
    scopes: frozenset[str]


def challenge(error: str | None = None, **params: str) -> dict[str, str]:
    """The WWW-Authenticate header of a 401 or 403 (RFC 6750 §3)."""
    parts = ['realm="notes"'] + ([f'error="{error}"'] if error else [])
    parts += [f'{name}="{value}"' for name, value in params.items()]
    return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


def invalid_token(why: str) -> HTTPException:
    # Say what is wrong with the token, never what it contains: errors end up in logs.
    return HTTPException(401, f"the access token is not valid: {why}",
                         headers=challenge("invalid_token", error_description=why))


async def validate(token: str) -> Caller:
    """The caller a token speaks for, or `invalid_token` naming the first rule it breaks."""
    try:
        # Read the header only to find the key; nothing in it is trusted yet.
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError):
        raise invalid_token("it is not a signed JWT") from None
    if header.get("alg") not in ALGORITHMS:
        # A fixed text: the header's alg is the client's to choose, and a quote or a non-ASCII
        # character in it would break the challenge it is written into.
        raise invalid_token(f"alg is not {' or '.join(ALGORITHMS)}")
    if str(header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
        raise invalid_token("typ is not at+jwt, so it is not an access token")
    keys = await KEYS.key_set_for(header.get("kid"))
    try:
        # algorithms=ALGORITHMS: the library refuses any other alg, whatever the header says.
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    except JoseError:
        raise invalid_token("its signature does not verify with the issuer's keys") from None
    rules = JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},  # a string, or a list that contains it
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        rules.validate(decoded.claims)  # exp and nbf are checked here too, with the leeway
    except JoseError as exc:
        raise invalid_token(exc.description or exc.error) from None
    return Caller(decoded.claims["sub"], frozenset(str(decoded.claims.get("scope", "")).split()))


async def caller(request: Request) -> Caller:
    """Authentication: who is calling. 401 before anything else is looked at."""
    if "access_token" in request.query_params:
        # OAuth 2.1: never in a URL, where logs, history and Referer headers keep it.
        raise HTTPException(400, "send the token in the Authorization header, not in the URL",
                            headers=challenge("invalid_request"))
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        # No credentials: RFC 6750 §3.1 says to send the challenge without an error code.
        raise HTTPException(401, "this API needs an access token: Authorization: Bearer <token>",
                            headers=challenge())
    return await validate(token.strip())


def scope(needed: str):
    """Authorization by scope: a dependency giving the caller, or 403 naming the scope needed."""

    async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if needed not in who.scopes:
            raise HTTPException(403, f"this needs the scope {needed}",
                                headers=challenge("insufficient_scope", scope=needed))
        return who

    return Depends(check)


Reader = Annotated[Caller, scope("notes:read")]
Writer = Annotated[Caller, scope("notes:write")]


# --- notes ----------------------------------------------------------------------------------------


class NoteIn(BaseModel):
    """What a client sends. `owner` and `id` are not fields: extra members are ignored."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(max_length=10_000)] = ""


NOTES: dict[int, dict[str, Any]] = {}
NEXT_ID = count(1)


def own_note(note_id: int, who: Caller) -> dict[str, Any]:
    """The caller's note, or 404. Someone else's note is "not found", not "forbidden": a 403
    would tell a stranger that the id exists (OWASP API1:2023)."""
    note = NOTES.get(note_id)
    if note is None or note["owner"] != who.sub:
        raise HTTPException(404, f"you have no note with id {note_id}")
    return note


@app.get("/notes")
async def list_notes(who: Reader) -> dict[str, Any]:
    return {"items": [note for note in NOTES.values() if note["owner"] == who.sub]}


@app.post("/notes", status_code=201)
async def create_note(note: NoteIn, response: Response, who: Writer) -> dict[str, Any]:
    note_id = next(NEXT_ID)
    # The owner comes from the validated token, never from the body.
    NOTES[note_id] = {"id": note_id, **note.model_dump(), "owner": who.sub}
    response.headers["Location"] = f"/notes/{note_id}"
    return NOTES[note_id]


@app.get("/notes/{note_id}")
async def get_note(note_id: int, who: Reader) -> dict[str, Any]:
    return own_note(note_id, who)


@app.put("/notes/{note_id}")
async def replace_note(note_id: int, note: NoteIn, who: Writer) -> dict[str, Any]:
    # Only the fields a client may write; owner and id never change.
    own_note(note_id, who).update(title=note.title, body=note.body)
    return NOTES[note_id]


@app.delete("/notes/{note_id}", status_code=204)
async def delete_note(note_id: int, who: Writer) -> Response:
    own_note(note_id, who)
    del NOTES[note_id]
    return Response(status_code=204)


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
        headers["Allow"] = ", ".join(m for m in ("GET", "HEAD", "POST", "PUT", "DELETE") if m in methods)
    return problem(exc.status_code, str(exc.detail), headers)


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    # FastAPI resolves the token dependency before it validates the body, so "401 before 422"
    # holds by construction, except for a body that is not JSON at all: FastAPI parses the JSON
    # first. Such a request is authenticated here, and its scope checked (every route with a
    # body writes), so that a stranger still gets 401 and not a word about the body.
    if any(error["type"] == "json_invalid" for error in exc.errors()):
        try:
            await scope("notes:write").dependency(await caller(request))
        except HTTPException as refused:
            return await http_error(request, refused)
        return problem(422, "invalid: the body is not JSON")
    if any(error["loc"][0] == "path" for error in exc.errors()):
        return problem(404, f"there is nothing at {request.url.path}")
    fields = ", ".join(".".join(str(p) for p in error["loc"][1:]) or "body" for error in exc.errors())
    return problem(422, f"invalid: {fields}")
