"""Course tools, not OAuth: mint a token with chosen claims, and rotate the signing key.

A grader (or a curious learner) needs tokens that only the issuer's key can sign but that carry
a chosen defect: expired, not yet valid, for another audience or from another issuer, not an
access token at all, or without its `aud`, `exp` or `typ`. A real identity provider would never
mint such tokens on request, so these routes answer only on loopback and are listed apart in
/docs.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from joserfc import jwt
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from httpkit.problems import ProblemException
from sandbox_api.features.identity.directory import USERS, audience_of
from sandbox_api.features.identity.guard import identity_server, issuer_of
from sandbox_api.features.identity.keys import ALGORITHM
from sandbox_api.features.identity.oauth import ACCESS_TOKEN_LIFETIME

TAG = "course tools"


def _whole_number(value: Any) -> Any:
    # 600.0 is the JSON number 600; 600.5, "600" and true stay errors
    return int(value) if isinstance(value, float) and value.is_integer() else value


def seconds(**constraints: Any) -> Any:
    """A JSON integer of seconds with `Field` constraints: strict, but 600.0 is 600."""
    return Annotated[int, Strict(), Field(**constraints), BeforeValidator(_whole_number)]


def loopback_only(request: Request) -> None:
    """403 unless the request comes from this machine."""
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = host in ("localhost", "testclient")
    if not local:
        raise ProblemException(403, "course tools answer only requests from this machine")


router = APIRouter(prefix="/admin", tags=[TAG], dependencies=[Depends(loopback_only)])


class TokenRequest(BaseModel):
    """The claims of a token to mint. Times are in seconds relative to now."""

    model_config = ConfigDict(extra="forbid")
    username: Annotated[Literal["alice", "bob"] | None, Field(
        description="A user; null for a client's own token, whose sub is the client_id.")] = "alice"
    client_id: Annotated[Literal["bookshop-app", "bookshop-reports"], Field(
        description="A registered client.")] = "bookshop-app"
    scope: Annotated[str, Field(examples=["notes:read notes:write"])] = "notes:read"
    audience: Annotated[str | list[str] | None, Field(
        description="Default: the audience of the scopes. A list makes `aud` a JSON array, as "
                    "RFC 7519 §4.1.3 allows: a token for several APIs.")] = None
    issuer: Annotated[str | None, Field(description="Default: this sandbox's URL.")] = None
    expires_in: seconds(le=ACCESS_TOKEN_LIFETIME, description="Negative: already expired.") = (
        ACCESS_TOKEN_LIFETIME)
    not_before_in: seconds(le=3600, description="Set to make a token that is not valid yet.") | None = None
    typ: Annotated[str, Field(description="The JOSE header's typ; `JWT` makes a token that is not "
                              "an access token.")] = "at+jwt"
    kid: Annotated[str | None, Field(description="Sign with this key if it is still published (one a "
                                     "resource server already knows), else with the current "
                                     "one: the answer's header says which.")] = None
    leave_out: Annotated[list[Literal["aud", "exp", "sub", "typ"]], Field(
        description="Claims (`aud`, `exp`, `sub`) or header members (`typ`) the token lacks: a "
                    "resource server must refuse a token without them.")] = []


@router.post("/tokens", name="mint_token")
def mint_token(body: TokenRequest, request: Request) -> dict[str, Any]:
    """Mint a token with exactly these claims, signed with the current signing key (or with the
    published key `kid`)."""
    keys = identity_server(request).keys
    key = (keys.published(body.kid) if body.kid else None) or keys.signing_key
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": body.issuer or issuer_of(request),
        "sub": USERS[body.username].sub if body.username else body.client_id,
        "aud": body.audience or audience_of(body.scope) or "",
        "exp": now + body.expires_in,
        "iat": now,
        "jti": secrets.token_urlsafe(16),
        "client_id": body.client_id,
        "scope": body.scope,
    }
    if body.not_before_in is not None:
        claims["nbf"] = now + body.not_before_in
    header = {"alg": ALGORITHM, "typ": body.typ, "kid": key.kid}
    for name in body.leave_out:
        claims.pop(name, None)
        header.pop(name, None)
    # default_type=None: the library would otherwise put back a `typ` left out
    token = jwt.encode(header, claims, key, default_type=None)
    return {"access_token": token, "header": header, "claims": claims}


@router.post("/keys/rotate", name="rotate_keys")
def rotate_keys(request: Request) -> dict[str, Any]:
    """A new signing key from now on. The old ones stay in the JWKS until their tokens expire,
    so a resource server that fetches the JWKS again on an unknown kid keeps working."""
    keys = identity_server(request).keys
    key = keys.rotate()
    return {"kid": key.kid, "published": keys.kids()}
