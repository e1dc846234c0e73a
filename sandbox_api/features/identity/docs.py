"""How the OAuth endpoints are documented in /openapi.json.

They speak OAuth's own formats, which FastAPI cannot infer from the routes (they read the form
themselves): form-encoded requests (RFC 6749 §4), JSON answers, and errors as
`{"error": ..., "error_description": ...}` (RFC 6749 §5.2) rather than problem details, which
the `x-own-error-format` mark tells the kit's OpenAPI rewriting to leave alone.
"""

from __future__ import annotations

from typing import Any

from httpkit.openapi import OWN_ERROR_FORMAT
from sandbox_api.features.identity.directory import CLIENTS, SCOPES

FORM = "application/x-www-form-urlencoded"
OWN_ERRORS = {OWN_ERROR_FORMAT: "RFC 6749 §5.2"}

OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "examples": ["invalid_grant"],
                  "description": "An error code of RFC 6749 §5.2 (or RFC 7009 §2.2.1)."},
        "error_description": {"type": "string"},
        "error_uri": {"type": "string"},
        "state": {"type": "string"},
    },
}
TOKENS = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in", "scope"],
    "properties": {
        "access_token": {"type": "string", "description": "A JWT (RFC 9068)."},
        "token_type": {"const": "Bearer"},
        "expires_in": {"type": "integer"},
        "scope": {"type": "string"},
        "refresh_token": {"type": "string", "description": "Not for client credentials."},
    },
}
INTROSPECTION = {
    "type": "object",
    "required": ["active"],
    "properties": {"active": {"type": "boolean"}},
    "additionalProperties": True,
}
JWKS = {
    "type": "object",
    "required": ["keys"],
    "properties": {"keys": {"type": "array", "items": {
        "type": "object", "required": ["kty", "kid"],
        "properties": {"kty": {"type": "string"}, "kid": {"type": "string"},
                       "use": {"type": "string"}, "alg": {"type": "string"}},
    }}},
}


def form(required: list[str], fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An `openapi_extra` documenting a form-encoded body, and errors in OAuth's format."""
    schema = {"type": "object", "required": required, "properties": fields}
    return {"requestBody": {"required": True, "content": {FORM: {"schema": schema}}}, **OWN_ERRORS}


def answers(ok: dict[str, Any], ok_description: str, **errors: str) -> dict[int | str, Any]:
    """`responses`: 200 with `ok` as JSON, and each error (e400="...") in OAuth's format."""
    documented: dict[int | str, Any] = {
        200: {"description": ok_description, "content": {"application/json": {"schema": ok}}}}
    for key, text in errors.items():
        documented[int(key.removeprefix("e"))] = {
            "description": text, "content": {"application/json": {"schema": OAUTH_ERROR}}}
    return documented


TOKEN_FORM = form(["grant_type"], {
    "grant_type": {"enum": ["authorization_code", "refresh_token", "client_credentials"]},
    "code": {"type": "string"}, "redirect_uri": {"type": "string"},
    "code_verifier": {"type": "string"}, "refresh_token": {"type": "string"},
    "scope": {"type": "string", "examples": [" ".join(SCOPES)]},
    "client_id": {"type": "string"}, "client_secret": {"type": "string"},
})
TOKEN_LOOKUP_FORM = form(["token"], {
    "token": {"type": "string"},
    "token_type_hint": {"enum": ["access_token", "refresh_token"]},
    "client_id": {"enum": list(CLIENTS), "description": "A public client names itself here; a "
                  "confidential one authenticates with HTTP Basic instead."},
    "client_secret": {"type": "string"},
})
CLIENT_REFUSED = "The client's credentials are missing or wrong: `invalid_client`."
