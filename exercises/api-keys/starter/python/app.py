"""API keys: your starting point for the API-keys exercise (lesson 2).

Run it:    apilab serve api-keys        (reloads when you save)
Check it:  apilab check api-keys

It runs: the owner can create, list and revoke keys, and a program can call /whoami with one.
But it is careless in every way the README warns about. Work through the TODOs roughly in order;
`apilab check` tells you, request by request, what is still missing.
"""

from __future__ import annotations

import os
import random
import string
from itertools import count
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "correct-horse-battery-staple")

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="API keys", redirect_slashes=False)

# TODO 1, storage: keep a SHA-256 hash of each key (hashlib.sha256) and its prefix, never the key.
KEYS: dict[int, dict[str, Any]] = {}
NEXT_ID = count(1)

basic = HTTPBasic(auto_error=False)


def owner(credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> None:
    # TODO 2: compare in constant time (hmac.compare_digest), and answer the 401 with
    #      WWW-Authenticate: Basic realm="keys".
    if credentials is None or credentials.password != ADMIN_PASSWORD:
        raise HTTPException(401, "wrong password")


def new_key() -> str:
    # TODO 3: `random` is predictable and 8 characters are guessable. Use the secrets module and
    #      at least 32 random bytes (secrets.token_urlsafe(32)); a namespace like "ak_" helps.
    return "".join(random.choices(string.ascii_letters, k=8))


class KeyIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]


@app.post("/keys", status_code=201, dependencies=[Depends(owner)])
async def create_key(body: KeyIn, response: Response) -> dict[str, Any]:
    key_id, key = next(NEXT_ID), new_key()
    KEYS[key_id] = {"id": key_id, "name": body.name, "prefix": key[:4], "key": key}
    response.headers["Location"] = f"/keys/{key_id}"
    return KEYS[key_id]


@app.get("/keys", dependencies=[Depends(owner)])
async def list_keys() -> dict[str, Any]:
    # TODO 4: never show the key again after the 201 that created it: the prefix is enough.
    return {"items": list(KEYS.values())}


@app.delete("/keys/{key_id}", status_code=204, dependencies=[Depends(owner)])
async def revoke_key(key_id: int) -> Response:
    KEYS.pop(key_id, None)  # TODO 5: 404 for an unknown id; and GET /keys/{id} is missing
    return Response(status_code=204)


@app.get("/whoami")
async def whoami(request: Request) -> dict[str, Any]:
    # TODO 6: the key comes from the X-API-Key header only, never from the URL.
    presented = request.headers.get("x-api-key") or request.query_params.get("api_key")
    # TODO 7: find the key by the hash of the whole presented key, and answer 401 with
    #      WWW-Authenticate: ApiKey header="X-API-Key" when there is none.
    # TODO 8: count wrong keys per client address (a request without a key is not one); the
    #      10th within 5 s still gets 401, then answer 429 with Retry-After for 5 s to every
    #      request with a key, before looking at the key.
    for key in KEYS.values():
        if presented and key["key"] == presented:
            return {"id": key["id"], "name": key["name"], "prefix": key["prefix"]}
    raise HTTPException(401, "unknown key")


# TODO 9, errors: every 4xx as application/problem+json with type, title, status and detail,
#      keeping the WWW-Authenticate and Retry-After headers.
