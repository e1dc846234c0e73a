"""The OAuth 2 endpoints: metadata (RFC 8414), keys (RFC 7517), authorize and token (RFC 6749,
RFC 7636), revocation (RFC 7009) and introspection (RFC 7662).

These speak OAuth's own formats, not problem details: requests are form-encoded, and errors are
`{"error": ..., "error_description": ...}` as RFC 6749 §5.2 defines them. The authorization
endpoint is a login form a notebook can fill in without a browser: GET shows it, POST with the
user's name and password answers 302 to the client's redirect URI with the code.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import OAuth2Error
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from sandbox_api.features.identity import docs
from sandbox_api.features.identity.directory import SCOPES, USERS
from sandbox_api.features.identity.guard import identity_server, issuer_of
from sandbox_api.features.identity.oauth import FormRequest, current_issuer

router = APIRouter(tags=["oauth"])

FORM_MEDIA_TYPE = docs.FORM


async def oauth_request(request: Request) -> FormRequest:
    """The request as Authlib reads it; the issuer for this request is set on the way."""
    current_issuer.set(issuer_of(request))
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = (await request.body()).decode("utf-8", errors="replace")
        if media_type == FORM_MEDIA_TYPE:
            form = parse_qsl(body, keep_blank_values=True)
    return FormRequest(request.method, str(request.url), request.headers,
                       list(request.query_params.multi_items()), form)


def oauth_error(error: OAuth2Error) -> JSONResponse:
    status, body, headers = error()
    return JSONResponse(dict(body), status_code=status, headers=dict(headers))


@router.get("/.well-known/oauth-authorization-server", name="authorization_server_metadata")
def metadata(request: Request) -> dict[str, Any]:
    """Where everything is (RFC 8414): the issuer, the endpoints, and what they support."""
    issuer = issuer_of(request)
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
    }


@router.get("/.well-known/jwks.json", name="jwks", response_class=JSONResponse, responses={
    200: {"description": "The public keys.",
          "content": {"application/jwk-set+json": {"schema": docs.JWKS}}}})
def jwks(request: Request) -> Response:
    """The public keys that verify the sandbox's tokens (RFC 7517). Each has a `kid`; a token
    names the key that signed it in its header. After a rotation, the old key stays here until
    its tokens have expired."""
    document = request.app.state.identity_server.keys.jwks()
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"},
                        media_type="application/jwk-set+json")


# The authorization endpoint is a page for people (a sign-in form), not part of the JSON API:
# the metadata names it, the reading and the notebook show how to drive it.
@router.get("/oauth/authorize", name="authorize_form", response_class=HTMLResponse,
            include_in_schema=False)
async def authorize_form(request: Request) -> Response:
    """The start of the authorization code flow: checks the client's request, then shows a
    login form (fill it in with `POST /oauth/authorize`)."""
    server = identity_server(request)
    oauth = await oauth_request(request)
    try:
        await run_in_threadpool(server.get_consent_grant, oauth, None)
    except OAuth2Error as error:
        return _refused(server, oauth, error)
    return HTMLResponse(_login_page(oauth.args))


@router.post("/oauth/authorize", name="authorize", include_in_schema=False)
async def authorize(request: Request) -> Response:
    """Log in (form fields `username` and `password`, the query as in the GET) and grant the
    request: 302 to the client's redirect URI with `?code=...&state=...`."""
    server = identity_server(request)
    oauth = await oauth_request(request)
    user = USERS.get(oauth.form.get("username", ""))
    try:
        grant = await run_in_threadpool(server.get_consent_grant, oauth, user)
    except OAuth2Error as error:
        return _refused(server, oauth, error)
    if user is None or not await run_in_threadpool(user.check_password, oauth.form.get("password", "")):
        return HTMLResponse(_login_page(oauth.args, "Wrong username or password."), status_code=200)
    return await run_in_threadpool(server.create_authorization_response, oauth, user, grant)


def _refused(server: Any, oauth: FormRequest, error: OAuth2Error) -> Response:
    # With a known client and its exact redirect URI, the error goes back to the client
    # (RFC 6749 §4.1.2.1); otherwise redirecting would send a user to an unchecked address.
    if getattr(error, "redirect_uri", None):
        return server.handle_error_response(oauth, error)
    return oauth_error(error)


def _login_page(query: dict[str, str], message: str = "") -> str:
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in query.items())
    note = f"<p role=alert>{html.escape(message)}</p>" if message else ""
    client, scope = html.escape(query.get("client_id", "")), html.escape(query.get("scope", ""))
    return (f"<!doctype html><title>Sign in to the bookshop</title><h1>Sign in</h1>{note}"
            f"<p>{client} asks for: {scope}</p><form method=post>{hidden}"
            "<label>Username <input name=username></label> "
            "<label>Password <input name=password type=password></label> "
            "<button>Sign in and allow</button></form>")


async def _endpoint(request: Request, name: str | None) -> Response:
    server = identity_server(request)
    oauth = await oauth_request(request)
    if name is None:
        response = await run_in_threadpool(server.create_token_response, oauth)
    else:
        response = await run_in_threadpool(server.create_endpoint_response, name, oauth)
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: tokens are never cached
    return response


@router.post("/oauth/token", name="token", openapi_extra=docs.TOKEN_FORM,
             responses=docs.answers(docs.TOKENS, "The tokens (RFC 6749 §5.1).",
                                    e400="The grant is not valid (RFC 6749 §5.2).",
                                    e401=docs.CLIENT_REFUSED))
async def token(request: Request) -> Response:
    """Exchange a grant for tokens (form-encoded): `grant_type=authorization_code` with `code`,
    `redirect_uri`, `client_id` and `code_verifier`; `grant_type=refresh_token` with
    `refresh_token` (each use returns a new one; using an old one again revokes them all);
    `grant_type=client_credentials` with the client's secret (HTTP Basic) and `scope`."""
    return await _endpoint(request, None)


@router.post("/oauth/revoke", name="revoke", openapi_extra=docs.TOKEN_LOOKUP_FORM,
             responses=docs.answers({"type": "object"}, "Revoked, or never known (RFC 7009 §2.2).",
                                    e400="No token, or an unknown token_type_hint.",
                                    e401=docs.CLIENT_REFUSED))
async def revoke(request: Request) -> Response:
    """Revoke an access or refresh token (RFC 7009): form field `token`, and the client's
    credentials (`client_id` alone for a public client). Answers 200 even for an unknown token."""
    return await _endpoint(request, "revocation")


@router.post("/oauth/introspect", name="introspect", openapi_extra=docs.TOKEN_LOOKUP_FORM,
             responses=docs.answers(docs.INTROSPECTION, "What the token is (RFC 7662 §2.2).",
                                    e400="No token, or an unknown token_type_hint.",
                                    e401=docs.CLIENT_REFUSED))
async def introspect(request: Request) -> Response:
    """Is this token active, and what does it carry (RFC 7662)? For confidential clients (HTTP
    Basic with the client's secret); an unknown, expired or revoked token is `{"active": false}`."""
    return await _endpoint(request, "introspection")
