"""The OAuth 2 authorization server, built on Authlib's grants and endpoints.

Authlib supplies the protocol (RFC 6749 grants, RFC 7636 PKCE, RFC 7009 revocation, RFC 7662
introspection, RFC 9068 JWT access tokens); this module supplies what it leaves to a framework
integration: how a Starlette request becomes an `OAuth2Request`, how a response goes back, and
where codes and tokens are stored. Authlib's grants are synchronous: routes read the body, then
call into the server from a worker thread.
"""

from __future__ import annotations

import contextvars
import json
import secrets
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    grants,
    scope_to_list,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwt
from joserfc.errors import JoseError
from starlette.responses import Response

from sandbox_api.features.identity.directory import (
    CLIENTS,
    SCOPES,
    USERS_BY_SUB,
    Client,
    User,
    audience_of,
)
from sandbox_api.features.identity.keys import ALGORITHM, KeyRing
from sandbox_api.features.identity.store import IdentityStore

ACCESS_TOKEN_LIFETIME = 900  # seconds: short, because a JWT cannot be recalled once issued
REFRESH_TOKEN_LIFETIME = 86400
CODE_LIFETIME = 120
PUBLIC_AND_CONFIDENTIAL = ["none", "client_secret_basic", "client_secret_post"]
CONFIDENTIAL = ["client_secret_basic", "client_secret_post"]

# The issuer is the URL the sandbox was reached at (RFC 8414 §3.3: the metadata's issuer is the
# URL it was fetched from). Routes set it per request; the token generator reads it.
current_issuer: contextvars.ContextVar[str] = contextvars.ContextVar("current_issuer")


# --- requests and token records -------------------------------------------------------------------


class _Payload(OAuth2Payload):
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list] = defaultdict(list)
        for name, value in items:
            self._datalist[name].append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list]:
        return self._datalist


class FormRequest(OAuth2Request):
    """A request already read off the wire: its query and its form body, as (name, value) lists."""

    def __init__(self, method: str, url: str, headers: Any, query: list[tuple[str, str]],
                 form: list[tuple[str, str]]) -> None:
        super().__init__(method, url, headers=headers)
        self._args, self._form = dict(query), dict(form)
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


@dataclass
class AccessTokenRecord(TokenMixin):
    row: dict[str, Any]

    def check_client(self, client: Client) -> bool:
        return self.row["client_id"] == client.client_id

    def get_scope(self) -> str:
        return self.row["scope"]

    def get_expires_in(self) -> int:
        return int(self.row["expires_at"] - self.row["issued_at"])

    def is_expired(self) -> bool:
        return self.row["expires_at"] <= time.time()

    def is_revoked(self) -> bool:
        return bool(self.row["revoked"])


@dataclass
class RefreshTokenRecord(AccessTokenRecord):
    def is_revoked(self) -> bool:
        return self.row["state"] != "active"


@dataclass
class CodeRecord:
    row: dict[str, Any]

    def get_redirect_uri(self) -> str:
        return self.row["redirect_uri"]

    def get_scope(self) -> str:
        return self.row["scope"]

    @property
    def code_challenge(self) -> str | None:
        return self.row["challenge"]

    @property
    def code_challenge_method(self) -> str | None:
        return self.row["challenge_method"]


# --- the server ---------------------------------------------------------------------------------


class IdentityServer(AuthorizationServer):
    """The sandbox's authorization server: Authlib's protocol, our storage and keys."""

    def __init__(self, store: IdentityStore, keys: KeyRing) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.store, self.keys = store, keys
        self.register_token_generator("default", _TokenGenerator(keys))
        self.register_grant(_AuthorizationCode, [_RequiredPkce()])
        self.register_grant(_RefreshToken)
        self.register_grant(_ClientCredentials)
        self.register_endpoint(_Revocation)
        self.register_endpoint(_Introspection)
        for grant in (_AuthorizationCode, _RefreshToken):
            grant.store = store

    def query_client(self, client_id: str) -> Client | None:
        return CLIENTS.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        claims = self.decode(token["access_token"])
        family = None
        if "refresh_token" in token:
            previous = getattr(request.refresh_token, "row", None)
            family = previous["family"] if previous else uuid.uuid4().hex
            # A refresh may ask for less (RFC 6749 §6); the grant itself keeps its whole scope.
            granted = previous["scope"] if previous else claims["scope"]
            self.store.save_refresh_token(token["refresh_token"], family, claims["client_id"],
                                          claims["sub"], granted, REFRESH_TOKEN_LIFETIME)
        self.store.save_access_token(claims, family)

    def validate_requested_scope(self, scope: str | None) -> None:
        if not scope:
            raise InvalidScopeError("ask for at least one scope, e.g. scope=orders:read")
        unknown = [s for s in scope_to_list(scope) if s not in SCOPES]
        if unknown:
            raise InvalidScopeError(f"unknown scope {unknown[0]!r}; known: {', '.join(SCOPES)}")
        if audience_of(scope) is None:
            # RFC 9068 §3: one token, one audience; scopes of two resource servers do not mix
            raise InvalidScopeError("these scopes belong to different APIs; ask for one API's "
                                    "scopes per token")

    def decode(self, token: str) -> dict[str, Any]:
        """The claims of a JWT this server signed; `JoseError` when it did not sign it."""
        return dict(jwt.decode(token, self.keys.verifying_set(), algorithms=[ALGORITHM]).claims)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request  # routes build the FormRequest themselves, after reading the body

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        content = json.dumps(body) if isinstance(body, dict) else (body or "")
        response = Response(content, status_code=status)
        for name, value in headers:
            response.headers[name] = value
        if isinstance(body, dict):
            response.headers["Content-Type"] = "application/json"
        return response

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass  # no listeners


class _TokenGenerator(JWTBearerTokenGenerator):
    """RFC 9068 JWT access tokens signed with the key ring's signing key, for one audience."""

    def __init__(self, keys: KeyRing) -> None:
        super().__init__(issuer="", alg=ALGORITHM,
                         refresh_token_generator=lambda **_: secrets.token_urlsafe(32),
                         expires_generator=lambda client, grant_type: ACCESS_TOKEN_LIFETIME)
        self.keys = keys

    @property
    def issuer(self) -> str:
        return current_issuer.get()

    @issuer.setter
    def issuer(self, value: str) -> None:
        pass  # fixed per request, by current_issuer

    def get_jwks(self) -> Any:
        return self.keys.signing_set()

    def get_audiences(self, client: Client, user: User | None, scope: str) -> str:
        return audience_of(scope) or ""


class _AuthorizationCode(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = PUBLIC_AND_CONFIDENTIAL
    store: IdentityStore

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.store.save_code(code, client_id=request.client.client_id, sub=request.user.sub,
                             redirect_uri=request.payload.redirect_uri or "", scope=request.scope,
                             challenge=data.get("code_challenge"),
                             challenge_method=data.get("code_challenge_method", "S256"),
                             expires_at=time.time() + CODE_LIFETIME)

    def query_authorization_code(self, code: str, client: Client) -> CodeRecord | None:
        row = self.store.find_code(code, client.client_id)
        return CodeRecord(row) if row else None

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        # a code is used once (RFC 6749 §4.1.2): a second exchange finds nothing, invalid_grant
        self.store.delete_code(authorization_code.row["code_hash"])

    def authenticate_user(self, authorization_code: CodeRecord) -> User | None:
        return USERS_BY_SUB.get(authorization_code.row["sub"])


class _RequiredPkce(CodeChallenge):
    """PKCE with S256 on every authorization request (OAuth 2.1 §4.1.1, RFC 9700 §2.1.1).

    Authlib would let a request without a challenge through and fail it only at the token
    endpoint, and would take a missing method as `plain`; both are refused here, up front.
    """

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE is required: send code_challenge and "
                                      "code_challenge_method=S256", redirect_uri=redirect_uri)
        super().validate_code_challenge(grant, redirect_uri)


class _RefreshToken(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = PUBLIC_AND_CONFIDENTIAL
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every use returns a new refresh token
    store: IdentityStore

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshTokenRecord | None:
        row = self.store.find_refresh_token(refresh_token)
        if row is None or row["expires_at"] <= time.time():
            return None
        if row["state"] == "rotated":
            # An old refresh token came back: either its holder or a thief has the newer one, and
            # the server cannot tell which, so the whole family goes (RFC 9700 §4.14.2).
            self.store.revoke_family(row["family"])
            return None
        return RefreshTokenRecord(row) if row["state"] == "active" else None

    def authenticate_user(self, refresh_token: RefreshTokenRecord) -> User | None:
        return USERS_BY_SUB.get(refresh_token.row["sub"])

    def revoke_old_credential(self, refresh_token: RefreshTokenRecord) -> None:
        self.store.mark_refresh_token(refresh_token.row["token_hash"], "rotated")


class _ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL


class _TokenLookup:
    """Finds a token of either kind: a JWT access token by its jti, a refresh token by hash."""

    server: IdentityServer

    def query_token(self, token: str, token_type_hint: str | None) -> AccessTokenRecord | None:
        if token.count(".") == 2:
            try:
                claims = self.server.decode(token)
            except (JoseError, ValueError):
                return None
            row = self.server.store.find_access_token(str(claims.get("jti")))
            return AccessTokenRecord(row) if row else None
        row = self.server.store.find_refresh_token(token)
        return RefreshTokenRecord(row) if row else None


class _Revocation(_TokenLookup, RevocationEndpoint):
    CLIENT_AUTH_METHODS = PUBLIC_AND_CONFIDENTIAL

    def revoke_token(self, token: AccessTokenRecord, request: OAuth2Request) -> None:
        if isinstance(token, RefreshTokenRecord):
            # RFC 7009 §2.1: revoking a refresh token also ends the access tokens of its grant
            self.server.store.revoke_family(token.row["family"])
        else:
            self.server.store.revoke_access_token(token.row["jti"])


class _Introspection(_TokenLookup, IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CONFIDENTIAL  # RFC 7662 §2.1: the caller must be authorized

    def check_permission(self, token: AccessTokenRecord, client: Client, request: Any) -> bool:
        return not client.public

    def introspect_token(self, token: AccessTokenRecord) -> dict[str, Any]:
        row = token.row
        user = USERS_BY_SUB.get(row["sub"])
        body = {"active": True, "scope": row["scope"], "client_id": row["client_id"],
                "sub": row["sub"], "exp": int(row["expires_at"]), "iat": int(row["issued_at"]),
                "iss": current_issuer.get(), "token_type": "refresh_token"}
        if not isinstance(token, RefreshTokenRecord):
            body.update(token_type="Bearer", aud=row["aud"], jti=row["jti"])
        if user:
            body["username"] = user.username
        return body
