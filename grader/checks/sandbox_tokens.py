"""Fixtures that sign users in at the sandbox, and the tokens the auth checks send (lesson 2).

A token is named in a check's `with` by a table: `{ fixture = "alice_rw" }` (a signed-in user's
token), `{ mint = {...} }` (minted by the sandbox's course tool with those claims; add
`key_of = "alice_rw"` to sign with the key of that fixture's token, or `rotate = true` to rotate
the signing key first), `{ forge = "alg-none", from = "alice_rw" }` (see `grader.tokens`), or
`{ raw = "..." }`.

grader.tokens is imported where a token is read or forged: the JOSE library and cryptography
under it load only when an exercise with tokens is graded.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from grader.checks.registry import fixture
from grader.context import CheckContext

APP_CLIENT = "bookshop-app"
APP_REDIRECT = "http://127.0.0.1:9999/callback"
# The sandbox keeps publishing old keys; a resource server may wait this long between two
# fetches of the JWKS (README), so a check waits it out after rotating.
REFETCH_PAUSE = 1.1


@fixture("sandbox-login")
async def sandbox_login(ctx: CheckContext, *, username: str, password: str, scope: str,
                        client_id: str = APP_CLIENT, redirect_uri: str = APP_REDIRECT) -> dict[str, Any]:
    """Sign `username` in at the sandbox with the authorization code flow and PKCE (RFC 7636),
    as a public client does, and return the tokens: `access_token`, `refresh_token`, `scope`,
    `sub`, the subject the access token speaks for, and `iss`, the issuer that signed it."""
    sandbox = ctx.service("sandbox")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
             "scope": scope, "state": secrets.token_urlsafe(8), "code_challenge": challenge.decode(),
             "code_challenge_method": "S256"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    login = await sandbox.request("POST", "/oauth/authorize", query=query, headers=form,
                                  body=f"username={username}&password={password}")
    location = login.headers.get("location", "")
    code = parse_qs(urlsplit(location).query).get("code", [""])[0]
    ctx.expect(login.status == 302 and bool(code), f"the sandbox did not sign {username} in "
               f"(POST /oauth/authorize answered {login.status})", expected="302 with a code",
               received=f"{login.status} {location or login.text[:200]}")
    exchange = (f"grant_type=authorization_code&code={code}&client_id={client_id}"
                f"&redirect_uri={redirect_uri}&code_verifier={verifier}")
    tokens = await sandbox.request("POST", "/oauth/token", headers=form, body=exchange)
    ctx.expect(tokens.status == 200, f"the sandbox's token endpoint answered {tokens.status}",
               expected="200 with tokens", received=tokens.text[:300])
    document = ctx.json(tokens)
    return {**document, **_speaker(document["access_token"]), "user": username}


@fixture("sandbox-refresh")
async def sandbox_refresh(ctx: CheckContext, *, of: str, scope: str,
                          client_id: str = APP_CLIENT) -> dict[str, Any]:
    """Use the refresh token of the fixture `of` to get an access token with less `scope`
    (RFC 6749 §6: a refresh may narrow the scope), as an app does before calling an API that
    needs less. The refresh token rotates: later fixtures refresh from this one."""
    sandbox = ctx.service("sandbox")
    refresh = (f"grant_type=refresh_token&refresh_token={ctx.fixtures[of]['refresh_token']}"
               f"&client_id={client_id}&scope={scope}")
    tokens = await sandbox.request("POST", "/oauth/token", body=refresh,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    ctx.expect(tokens.status == 200, f"the sandbox's token endpoint answered {tokens.status} to "
               f"a refresh for {scope}", expected="200 with tokens", received=tokens.text[:300])
    document = ctx.json(tokens)
    return {**document, **_speaker(document["access_token"]),
            "user": ctx.fixtures[of].get("user", of)}


def _speaker(token: str) -> dict[str, str]:
    """Who a token speaks for (`sub`) and who vouches for it (`iss`), for checks to name."""
    from grader.tokens import claims_of

    claims = claims_of(token)
    return {"sub": claims["sub"], "iss": claims["iss"]}


async def token_from(ctx: CheckContext, spec: dict[str, Any]) -> str:
    """The token a `{fixture | mint | forge | raw}` table names (see the module docstring)."""
    from grader.tokens import forge, header_of

    if "fixture" in spec:
        return ctx.fixtures[spec["fixture"]]["access_token"]
    if "raw" in spec:
        return str(spec["raw"])
    if "mint" in spec:
        sandbox = ctx.service("sandbox")
        with ctx.preparing("getting a token from the sandbox (POST /admin/tokens)"):
            if spec.get("rotate"):
                rotated = await sandbox.request("POST", "/admin/keys/rotate")
                ctx.expect(rotated.status == 200, "the sandbox did not rotate its key",
                           expected="200", received=f"{rotated.status} {rotated.text[:200]}")
                await asyncio.sleep(REFETCH_PAUSE)
            claims = ctx.fill(spec["mint"])
            if "key_of" in spec:
                # Signed with a key the server already knows: if the sandbox's key rotated
                # meanwhile (another run's check), the server must still refuse the token for its
                # defect, not for a key it has not fetched yet.
                claims["kid"] = header_of(ctx.fixtures[spec["key_of"]]["access_token"])["kid"]
            minted = await sandbox.request("POST", "/admin/tokens", json_body=claims)
            ctx.expect(minted.status == 200, "the sandbox did not mint the token",
                       expected="200", received=f"{minted.status} {minted.text[:200]}")
            document = ctx.json(minted)
            ctx.expect(claims.get("kid") in (None, document["header"]["kid"]), "the sandbox no "
                       "longer publishes the key this check needs; run the check again",
                       expected=f"kid {claims.get('kid')}", received=f"kid {document['header']['kid']}")
        return document["access_token"]
    if "forge" in spec:
        base = ctx.fixtures[spec["from"]]["access_token"]
        public_jwk = None
        if spec["forge"] == "hmac-public-key":
            with ctx.preparing("reading the sandbox's public keys (GET /.well-known/jwks.json)"):
                keys = ctx.json(await ctx.service("sandbox").request("GET", "/.well-known/jwks.json"))["keys"]
            kid = header_of(base).get("kid")
            public_jwk = next((key for key in keys if key.get("kid") == kid), None)
        return forge(spec["forge"], base, public_jwk=public_jwk, changes=ctx.fill(spec.get("changes")))
    ctx.fail("this check is misconfigured: a token is { fixture | mint | forge | raw = ... }")
