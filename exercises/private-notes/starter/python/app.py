"""Private notes: your starting point for the resource-server exercise (lesson 2).

Run it:    apilab serve private-notes        (reloads when you save; the sandbox must run too)
Check it:  apilab check private-notes

It runs, and it serves notes to anyone: every request is treated as the same anonymous user with
every permission. README.md has the exact contract; work through the TODOs roughly in order, and
`apilab check` tells you, request by request, what is still missing.

Libraries you have: joserfc (JOSE: JWS, JWK, JWT) and httpx (to fetch the sandbox's keys).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import count
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, Field

ISSUER = os.environ.get("SANDBOX_URL", "http://127.0.0.1:8000").rstrip("/")
AUDIENCE = "urn:apilab:notes"

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="Private notes", redirect_slashes=False)


@dataclass(frozen=True)
class Caller:
    sub: str  # who is calling: the token's `sub` claim
    scopes: frozenset[str]  # what they may do: the token's `scope` claim, split on spaces


async def caller(request: Request) -> Caller:
    # TODO 1, no token: read `Authorization: Bearer <token>` (the scheme is case-insensitive).
    #      None? Answer 401 with WWW-Authenticate: Bearer (no error code).
    # TODO 2, the keys: fetch {ISSUER}/.well-known/oauth-authorization-server, then its jwks_uri,
    #      and keep the key set (joserfc.jwk.KeySet.import_key_set). When a token's kid is not in
    #      it, fetch it again (at most once a second) before giving up.
    # TODO 3, validate (joserfc.jwt.decode with algorithms=["RS256"], then JWTClaimsRegistry):
    #      the signature, typ at+jwt (any case), iss == ISSUER, aud == AUDIENCE or a list holding
    #      it, exp and nbf (leeway at most 60 s), sub; typ, aud and exp are required. Anything
    #      wrong (or missing): 401 with WWW-Authenticate: Bearer error="invalid_token".
    # TODO 4, a request with ?access_token= is refused (400 or 401), even with an Authorization
    #      header: a token in the URL is never used.
    return Caller("anonymous", frozenset({"notes:read", "notes:write"}))


def scope(needed: str):
    async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        # TODO 5, scopes: without `needed` in who.scopes, answer 403 with
        #      WWW-Authenticate: Bearer error="insufficient_scope", scope="<needed>".
        return who

    return Depends(check)


Reader = Annotated[Caller, scope("notes:read")]
Writer = Annotated[Caller, scope("notes:write")]


class NoteIn(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(max_length=10_000)] = ""


NOTES: dict[int, dict[str, Any]] = {}
NEXT_ID = count(1)


def find_note(note_id: int, who: Caller) -> dict[str, Any]:
    # TODO 6, ownership: someone else's note must be a 404 too, exactly like a missing one.
    note = NOTES.get(note_id)
    if note is None:
        raise HTTPException(404, f"there is no note with id {note_id}")
    return note


@app.get("/notes")
async def list_notes(who: Reader) -> dict[str, Any]:
    # TODO 7: only the caller's own notes.
    return {"items": list(NOTES.values())}


@app.post("/notes", status_code=201)
async def create_note(note: NoteIn, response: Response, who: Writer) -> dict[str, Any]:
    note_id = next(NEXT_ID)
    NOTES[note_id] = {"id": note_id, **note.model_dump(), "owner": who.sub}
    response.headers["Location"] = f"/notes/{note_id}"
    return NOTES[note_id]


@app.get("/notes/{note_id}")
async def get_note(note_id: int, who: Reader) -> dict[str, Any]:
    return find_note(note_id, who)


@app.put("/notes/{note_id}")
async def replace_note(note_id: int, note: NoteIn, who: Writer) -> dict[str, Any]:
    find_note(note_id, who).update(note.model_dump())
    return NOTES[note_id]


@app.delete("/notes/{note_id}", status_code=204)
async def delete_note(note_id: int, who: Writer) -> Response:
    find_note(note_id, who)
    del NOTES[note_id]
    return Response(status_code=204)


# TODO 8, errors: every 4xx as application/problem+json with type, title, status and detail
#      (an exception handler for HTTPException and one for RequestValidationError, as in
#      exercise 1), keeping the WWW-Authenticate header of a 401 or 403. FastAPI parses a JSON
#      body before the token's dependency runs: for a body that is not JSON (json_invalid),
#      authenticate first, so that a request without a valid token still gets 401.
