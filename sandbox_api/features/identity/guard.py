"""Who is calling the bookshop's protected routes, and may they: the sandbox as a resource server.

A caller shows either a JWT access token (`Authorization: Bearer ...`, RFC 6750 §2.1) or one of
its API keys (`X-API-Key: ...`). A token is checked the way the lesson teaches: signature from
the published keys with the algorithm pinned, `typ` at+jwt, `iss`, `aud`, `exp` and `nbf` with a
small leeway (RFC 9068 §4, RFC 8725), and, since the sandbox is also the issuer, not revoked.
Failures answer as RFC 6750 §3 says: 401 with `WWW-Authenticate: Bearer` (and
`error="invalid_token"` when a token was sent), 403 with `error="insufficient_scope"` and the
scope needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import (
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
    OAuth2AuthorizationCodeBearer,
)
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from httpkit.problems import ProblemException
from sandbox_api.features.identity.directory import AUDIENCES, SCOPES
from sandbox_api.features.identity.keys import ALGORITHM
from sandbox_api.features.identity.oauth import IdentityServer

REALM = "bookshop"
AUDIENCE = AUDIENCES["orders"]
LEEWAY = 30  # seconds of clock skew forgiven on exp and nbf
API_KEY_SCOPES = frozenset({"orders:read", "orders:write"})

# Declared as FastAPI security schemes so that /docs offers an "Authorize" button for each.
bearer_scheme = HTTPBearer(auto_error=False, description="A JWT access token from /oauth/token.")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An API key from POST /me/api-keys.")
# Where tokens come from, for the document (clients and tools read tokenUrl from it); /docs cannot
# run this flow itself, as the app's redirect URI is not its own: paste a token into the first.
oauth_scheme = OAuth2AuthorizationCodeBearer(
    authorizationUrl="/oauth/authorize", tokenUrl="/oauth/token", refreshUrl="/oauth/token",
    scopes=SCOPES, auto_error=False, scheme_name="sandbox",
    description="The sandbox's authorization server: authorization code with PKCE (public "
                "client bookshop-app), or client credentials (bookshop-reports).")


@dataclass(frozen=True)
class Caller:
    """Who the request is from (`sub`) and what it may do."""

    sub: str
    scopes: frozenset[str]
    via: str  # "token" or "api-key"


def challenge(error: str | None = None, description: str | None = None, scope: str | None = None,
              scheme: str = "Bearer") -> str:
    """A `WWW-Authenticate` value (RFC 6750 §3): the scheme, its realm and the error, if any."""
    params = [f'realm="{REALM}"']
    if error:  # RFC 6750 §3.1: a request without credentials gets no error information
        params.append(f'error="{error}"')
        if description:
            params.append(f'error_description="{description}"')
    if scope:
        params.append(f'scope="{scope}"')
    return f"{scheme} {', '.join(params)}"


def unauthorized(detail: str, error: str | None = None) -> ProblemException:
    return ProblemException(401, detail, headers={"WWW-Authenticate": challenge(error, detail)})


def identity_server(request: Request) -> IdentityServer:
    return request.app.state.identity_server


def issuer_of(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def caller_from_token(server: IdentityServer, token: str, issuer: str) -> Caller:
    """Validate a bearer token for the bookshop; 401 invalid_token saying what is wrong."""
    try:
        decoded = jwt.decode(token, server.keys.verifying_set(), algorithms=[ALGORITHM])
    except JoseError as exc:
        raise unauthorized(f"the token's signature does not verify ({exc.error})",
                           "invalid_token") from None
    except ValueError:
        raise unauthorized("the token is not a JWS in compact form", "invalid_token") from None
    if decoded.header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
        raise unauthorized("the token is not an access token (typ is not at+jwt)", "invalid_token")
    rules = JWTClaimsRegistry(leeway=LEEWAY, iss={"essential": True, "value": issuer},
                              aud={"essential": True, "value": AUDIENCE},
                              exp={"essential": True}, sub={"essential": True})
    try:
        rules.validate(decoded.claims)
    except JoseError as exc:
        raise unauthorized(f"the token is not valid here ({exc.description or exc.error})",
                           "invalid_token") from None
    record = server.store.find_access_token(str(decoded.claims.get("jti")))
    if record is not None and record["revoked"]:
        raise unauthorized("the token was revoked", "invalid_token")
    return Caller(decoded.claims["sub"], frozenset(str(decoded.claims.get("scope", "")).split()),
                  "token")


def authenticated(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
    _documented: Annotated[str | None, Depends(oauth_scheme)],  # the same header, documented
) -> Caller:
    """The caller, from a bearer token or an API key; 401 when there is neither or it is bad."""
    if "access_token" in request.query_params:
        # OAuth 2.1 drops tokens in URLs: they end up in logs, history and Referer headers
        raise ProblemException(400, "send the token in the Authorization header, never in the URL",
                               headers={"WWW-Authenticate": challenge("invalid_request")})
    server = identity_server(request)
    if bearer is not None:
        return caller_from_token(server, bearer.credentials, issuer_of(request))
    if "authorization" in request.headers:
        raise unauthorized("the Authorization header is not `Bearer <token>`")
    if api_key is not None:
        sub = server.store.owner_of_api_key(api_key)
        if sub is None:
            raise unauthorized("this API key is unknown or was revoked", "invalid_token")
        return Caller(sub, API_KEY_SCOPES, "api-key")
    raise unauthorized("send a bearer token (Authorization: Bearer ...) or an API key (X-API-Key)")


def requires(scope: str) -> Callable[..., Caller]:
    """A dependency: the authenticated caller, provided its token carries `scope` (else 403)."""

    def dependency(caller: Annotated[Caller, Depends(authenticated)]) -> Caller:
        if scope not in caller.scopes:
            detail = f"this needs the scope {scope}; the token has {' '.join(sorted(caller.scopes))}"
            raise ProblemException(403, detail, headers={
                "WWW-Authenticate": challenge("insufficient_scope", scope=scope)})
        return caller

    return dependency
