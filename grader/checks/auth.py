"""Registered checks and fixtures for authentication and authorization (lesson 2).

The learner's server is a resource server for the sandbox's tokens. Fixtures sign users in at
the sandbox (authorization code with PKCE, as a real client does) and keep their tokens; checks
send those tokens, tokens the sandbox mints with a chosen defect, and forgeries
(`grader.tokens`), and judge the answers by RFC 6750 §3: 401 with a `Bearer` challenge, 403 with
`insufficient_scope`, and 404 for another user's resource.

A token is named in a check's `with` by a table: `{ fixture = "alice_rw" }` (a signed-in user's
token), `{ mint = {...} }` (minted by the sandbox's course tool with those claims; add
`key_of = "alice_rw"` to sign with the key of that fixture's token, or `rotate = true` to rotate
the signing key first), `{ forge = "alg-none", from = "alice_rw" }`
(see `grader.tokens`), or `{ raw = "..." }`. A check that refuses or accepts several tokens
takes a list of them, each `called` by the words its messages name it with ("a token without
aud").
Requests are `{ method, path, json }` tables; `${target}` in a path is the resource a check
created first (`create_in`, `body`, `owner`). A request may send a raw `body` instead of `json`
and `headers` of its own, and is then `called` by what is special about it ("with a body that
is not JSON").
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from grader.checks.registry import check, fixture
from grader.context import CheckContext
from grader.http_helpers import PROBLEM_MEMBERS, bearer, expect_problem, parse_challenges
from grader.matchers import show
from grader.wire import Received

APP_CLIENT = "bookshop-app"
APP_REDIRECT = "http://127.0.0.1:9999/callback"
# The sandbox keeps publishing old keys; a resource server may wait this long between two
# fetches of the JWKS (README), so a check waits it out after rotating.
REFETCH_PAUSE = 1.1

Requests = list[dict[str, Any]]


# --- answers to a bearer token -----------------------------------------------------------------


def expect_challenge(ctx: CheckContext, response: Received, label: str, *, status: int,
                     error: str | None, scope: str | None = None) -> None:
    """`response` is `status` with a Bearer challenge carrying `error` (none at all when None)
    and naming `scope`, and a problem details body (RFC 6750 §3, RFC 9457)."""
    ctx.expect(response.status == status, f"{label} answered {response.status}",
               expected=f"status {status}", received=f"status {response.status} {response.reason}")
    values = response.headers.get_list("www-authenticate")
    bearer = [params for scheme, params in parse_challenges(values) if scheme.lower() == "bearer"]
    shown = "; ".join(values) or "no WWW-Authenticate header"
    ctx.expect(bool(bearer), f"{label}: the {status} has no Bearer challenge, so the client "
               "cannot tell how to authenticate", expected="WWW-Authenticate: Bearer ...",
               received=shown)
    params = bearer[0]
    if error is None:
        ctx.expect("error" not in params, f"{label}: a request that sent no bearer token (no "
                   "Authorization header, or another scheme) gets a challenge without an error "
                   "code, since there was no token to be invalid",
                   expected='WWW-Authenticate: Bearer (no error="...")', received=shown)
    else:
        ctx.expect(params.get("error") == error, f"{label}: the challenge does not say "
                   f'error="{error}"', expected=f'WWW-Authenticate: Bearer error="{error}"',
                   received=shown)
    if scope is not None:
        ctx.expect(scope in params.get("scope", "").split(), f"{label}: the challenge does not "
                   f"name the scope needed ({scope})",
                   expected=f'WWW-Authenticate: Bearer error="{error}", scope="{scope}"',
                   received=shown)
    expect_problem(ctx, response, PROBLEM_MEMBERS)


# --- fixtures: signed-in users ------------------------------------------------------------------


@fixture("sandbox-login")
async def sandbox_login(ctx: CheckContext, *, username: str, password: str, scope: str,
                        client_id: str = APP_CLIENT, redirect_uri: str = APP_REDIRECT) -> dict[str, Any]:
    """Sign `username` in at the sandbox with the authorization code flow and PKCE (RFC 7636),
    as a public client does, and return the tokens: `access_token`, `refresh_token`, `scope`,
    and `sub`, the subject the access token speaks for."""
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
    return {**document, "sub": _subject(document["access_token"]), "user": username}


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
    return {**document, "sub": _subject(document["access_token"]),
            "user": ctx.fixtures[of].get("user", of)}


# --- tokens and targets -------------------------------------------------------------------------
# grader.tokens is imported where a token is read or forged: the JOSE library and cryptography
# under it load only when an exercise with tokens is graded.


def _subject(token: str) -> str:
    from grader.tokens import claims_of

    return claims_of(token)["sub"]


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


def whose(ctx: CheckContext, fixture_name: str) -> str:
    """Whose token a fixture holds, for messages: "Alice's"."""
    return str(ctx.fixtures[fixture_name].get("user", fixture_name)).capitalize() + "'s"


async def create_as(ctx: CheckContext, owner: str, collection: str, body: Any) -> tuple[str, Any]:
    """Create a resource with `owner`'s token; its absolute URL and JSON body."""
    collection, body = ctx.fill(collection), ctx.fill(body)
    token = ctx.fixtures[owner]["access_token"]
    with ctx.preparing(f"creating the resource it works on (POST {collection} with "
                       f"{whose(ctx, owner)} token)"):
        response = await ctx.request("POST", collection, json_body=body, headers=bearer(token))
        ctx.expect(response.status == 201 and bool(response.headers.get("location")),
                   f"POST {collection} with a valid token answered {response.status}; make "
                   "valid-token-create pass first", expected="201 with a Location header",
                   received=f"{response.status}, Location: {response.headers.get('location')}")
        document = ctx.json(response)
    url = urljoin(response.url, response.headers["location"])
    ctx.vars["target"] = url
    return url, document


async def send_all(ctx: CheckContext, requests: Requests, headers: dict[str, str],
                   query: dict[str, str] | None = None) -> list[tuple[str, Received]]:
    """Send each `{method, path, json | body, headers, called}` request with `headers` (and its
    own); (request line and what it is called, response) pairs."""
    sent = []
    for request in requests:
        method, path = request["method"].upper(), ctx.fill(request["path"])
        options: dict[str, Any] = {"headers": {**headers, **ctx.fill(request.get("headers", {}))},
                                   "query": query}
        if "json" in request:
            options["json_body"] = ctx.fill(request["json"])
        elif "body" in request:
            options["body"] = ctx.fill(request["body"])
        label = " ".join([method, path] + ([request["called"]] if "called" in request else []))
        sent.append((label, await ctx.request(method, path, **options)))
    return sent


async def expect_unchanged(ctx: CheckContext, owner: str, url: str, before: Any,
                           fields: tuple[str, ...] = ("title", "body")) -> None:
    """The resource at `url` still reads, for its owner, as `before` did."""
    after = await ctx.request("GET", url, headers=bearer(ctx.fixtures[owner]["access_token"]))
    ctx.expect(after.status == 200, f"after the refused requests, GET {url} by its owner answered "
               f"{after.status}: a refused DELETE must not delete", expected="status 200",
               received=f"status {after.status}")
    document = ctx.json(after)
    for name in fields:
        ctx.expect(document.get(name) == before.get(name), f"after the refused requests, the "
                   f"resource's {name} changed: a refused PUT must not write",
                   expected=f"{name} = {show(before.get(name))}",
                   received=f"{name} = {show(document.get(name))}")


async def expect_not_created(ctx: CheckContext, owner: str, collection: str, requests: Requests) -> None:
    """No refused POST to `collection` left a resource behind in the owner's list."""
    posted = [ctx.fill(r["json"]) for r in requests if r["method"].upper() == "POST" and "json" in r]
    if not posted:
        return
    listing = await ctx.request("GET", ctx.fill(collection),
                                headers=bearer(ctx.fixtures[owner]["access_token"]))
    items = ctx.json(listing).get("items", []) if listing.status == 200 else []
    for body in posted:
        made = [item for item in items if all(item.get(k) == v for k, v in body.items())]
        ctx.expect(not made, "a POST that was refused created the resource anyway",
                   expected="nothing created", received=show(made[0]) if made else "")


# --- checks -------------------------------------------------------------------------------------


@check("credentials-required")
async def credentials_required(ctx: CheckContext, *, requests: Requests, create_in: str | None = None,
                               body: dict[str, Any] | None = None, owner: str | None = None) -> None:
    """Every request without credentials answers 401 with `WWW-Authenticate: Bearer` and no
    error code (RFC 6750 §3.1), as a problem details body, whatever its body holds: a request
    with a malformed or invalid body is 401 too, not 400 or 422, since authentication comes
    first. With `create_in`, a resource is created first (by `owner`) and `${target}` names it."""
    if create_in and owner:
        await create_as(ctx, owner, create_in, body)
    for request, (label, response) in zip(requests, await send_all(ctx, requests, {}), strict=True):
        judged = ("the body was judged before the caller. " if ("json" in request or "body" in request)
                  and response.status in (400, 415, 422) else "")
        ctx.expect(response.status == 401, f"{label} without a token answered {response.status}: "
                   f"{judged}A request without a token gets 401 before anything else (its body, its "
                   "Content-Type, the resource) is looked at, so a stranger costs the server no "
                   "parsing and learns nothing of its rules (check the token before reading the body)",
                   expected="status 401 with WWW-Authenticate: Bearer",
                   received=f"status {response.status} {response.reason}")
        expect_challenge(ctx, response, f"{label} without a token", status=401, error=None)


@check("token-refused")
async def token_refused(ctx: CheckContext, *, token: dict[str, Any] | list[dict[str, Any]],
                        requests: Requests, create_in: str | None = None,
                        body: dict[str, Any] | None = None, owner: str | None = None) -> None:
    """A token that is not valid gets 401 with `WWW-Authenticate: Bearer error="invalid_token"`
    (RFC 6750 §3.1) on every request, and changes nothing. Which rule the token breaks
    (expiry, audience, issuer, signature...) is the check's `token`; a list of tokens breaks
    the one rule in several ways, each `called` in the messages by what is wrong with it."""
    before = None
    if create_in and owner:
        _url, before = await create_as(ctx, owner, create_in, body)
    for spec in token if isinstance(token, list) else [token]:
        refused = await token_from(ctx, spec)
        called = spec.get("called", "this token")
        for label, response in await send_all(ctx, requests, bearer(refused)):
            expect_challenge(ctx, response, f"{label} with {called}", status=401,
                             error="invalid_token")
    if before is not None and owner:
        await expect_unchanged(ctx, owner, ctx.vars["target"], before)
    if create_in and owner:
        await expect_not_created(ctx, owner, create_in, requests)


@check("token-accepted")
async def token_accepted(ctx: CheckContext, *, token: dict[str, Any] | list[dict[str, Any]],
                         requests: Requests, scheme: str = "Bearer",
                         statuses: list[int] | None = None) -> None:
    """A valid token is accepted: each request answers 2xx (or one of `statuses`). With a
    rotated key, this proves the server fetches the JWKS again for a kid it does not know
    (RFC 7517, RFC 8725 §3.10); with `scheme = "bearer"`, that the scheme is case-insensitive
    (RFC 9110 §11.1); with a list of tokens, each `called` by what is unusual about it, that
    every way of writing a valid token is accepted (a `typ` in capitals, RFC 9068 §4)."""
    for spec in token if isinstance(token, list) else [token]:
        accepted = await token_from(ctx, spec)
        called = spec.get("called", "a valid token")
        for label, response in await send_all(ctx, requests, bearer(accepted, scheme)):
            ok = response.status in statuses if statuses else 200 <= response.status < 300
            challenge = "; ".join(response.headers.get_list("www-authenticate"))
            ctx.expect(ok, f"{label} with {called} answered {response.status}",
                       expected="a 2xx status" if not statuses else f"status {statuses}",
                       received=f"status {response.status}" + (f", WWW-Authenticate: {challenge}"
                                                              if challenge else ""))


@check("scope-required")
async def scope_required(ctx: CheckContext, *, token: dict[str, Any], scope: str, requests: Requests,
                         create_in: str | None = None, body: dict[str, Any] | None = None,
                         owner: str | None = None) -> None:
    """A valid token without the scope a route needs gets 403 with
    `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."` naming it (RFC 6750 §3.1),
    and changes nothing. A scope is a whole word of the token's `scope` (RFC 6749 §3.3): the
    token may be `called` by the scope it has that only looks like the one needed."""
    before = None
    if create_in and owner:
        _url, before = await create_as(ctx, owner, create_in, body)
    limited = await token_from(ctx, token)
    called = token.get("called", f"a token lacking {scope}")
    sent = await send_all(ctx, requests, bearer(limited))
    for request, (label, response) in zip(requests, sent, strict=True):
        if ("json" in request or "body" in request) and response.status in (400, 415, 422):
            ctx.fail(f"{label} with {called} answered {response.status}: the body was judged "
                     "before the scope. A token that may not do this gets 403 whatever its body "
                     "holds, so a caller learns nothing of the rules of a write it may not make "
                     "(check the scope before reading the body)",
                     expected=f'status 403, WWW-Authenticate: Bearer error="insufficient_scope", '
                              f'scope="{scope}"',
                     received=f"status {response.status} {response.reason}")
        expect_challenge(ctx, response, f"{label} with {called}", status=403,
                         error="insufficient_scope", scope=scope)
    if before is not None and owner:
        await expect_unchanged(ctx, owner, ctx.vars["target"], before)
        await expect_not_created(ctx, owner, create_in or "", requests)


@check("owner-only")
async def owner_only(ctx: CheckContext, *, owner: str, other: str, create_in: str,
                     body: dict[str, Any], requests: Requests,
                     fields: list[str] | None = None) -> None:
    """Another user's resource answers 404 to every request, exactly like one that does not
    exist, and stays unchanged in its `fields` (OWASP API1:2023, broken object level
    authorization)."""
    _url, before = await create_as(ctx, owner, create_in, body)
    stranger = bearer(ctx.fixtures[other]["access_token"])
    for label, response in await send_all(ctx, requests, stranger):
        ctx.expect(response.status == 404, f"{label} with {whose(ctx, other)} token, on "
                   f"{whose(ctx, owner)} resource, "
                   f"answered {response.status}", expected="status 404, as if it did not exist",
                   received=f"status {response.status} {response.reason}")
    await expect_unchanged(ctx, owner, ctx.vars["target"], before, tuple(fields or ("title", "body")))


@check("list-excludes-others")
async def list_excludes_others(ctx: CheckContext, *, owner: str, other: str, create_in: str,
                               body: dict[str, Any], id_field: str = "id") -> None:
    """A collection lists the caller's resources only: the owner sees a new one, another user
    does not (OWASP API1:2023)."""
    _url, created = await create_as(ctx, owner, create_in, body)
    await _listed_to_owner_only(ctx, owner, other, ctx.fill(create_in), created, id_field)


async def _listed_to_owner_only(ctx: CheckContext, owner: str, other: str, collection: str,
                                created: dict[str, Any], id_field: str) -> None:
    """`collection` lists `created` to its `owner` and not to `other`."""
    for who, wanted in ((owner, True), (other, False)):
        listing = await ctx.request("GET", collection, headers=bearer(ctx.fixtures[who]["access_token"]))
        ctx.expect(listing.status == 200, f"GET {collection} with {whose(ctx, who)} token answered "
                   f"{listing.status}", expected="status 200", received=f"status {listing.status}")
        ids = [item.get(id_field) for item in ctx.json(listing).get("items", [])
               if isinstance(item, dict)]
        listed = created.get(id_field) in ids
        ctx.expect(listed == wanted, f"GET {collection} with {whose(ctx, who)} token "
                   f"{'does not list' if wanted else 'lists'} the resource "
                   f"{ctx.fixtures[owner].get('user', owner).capitalize()} just created",
                   expected=f"{whose(ctx, owner)} resource {'listed' if wanted else 'not listed'}",
                   received=f"{id_field}s listed: {show(ids[:20])}")


@check("owner-from-token")
async def owner_from_token(ctx: CheckContext, *, owner: str, other: str, create_in: str,
                           body: dict[str, Any], owner_field: str = "owner",
                           subject: str = "sub", by_listing: bool = False,
                           id_field: str = "id", replace: bool = False) -> None:
    """The owner of a new resource is the caller the token speaks for, whatever the body says: a
    body naming another user is ignored or refused (OWASP API3:2023, mass assignment;
    API1:2023). `subject` is the fixture field the resource's owner field holds (the token's
    `sub`, or an account `id`). With `by_listing`, for a resource that does not show its owner,
    the collection lists it to the caller and not to the user the body named. With `replace`,
    a PUT of the owner's resource naming the other user as owner and another id changes
    neither, since a replacement writes only the members a client may set."""
    collection = ctx.fill(create_in)
    mine, theirs = ctx.fixtures[owner][subject], ctx.fixtures[other][subject]
    sneaky = {**ctx.fill(body), owner_field: theirs}
    response = await ctx.request("POST", collection, json_body=sneaky,
                                 headers=bearer(ctx.fixtures[owner]["access_token"]))
    if response.status not in (400, 422):  # refusing the field is fine
        ctx.expect(response.status == 201, f"POST {collection} answered {response.status}",
                   expected="201 (owner ignored) or 422", received=f"status {response.status}")
        if by_listing:
            await _listed_to_owner_only(ctx, owner, other, collection, ctx.json(response), id_field)
        else:
            stored = ctx.json(response).get(owner_field)
            ctx.expect(stored == mine, f"the new resource's {owner_field} is the one the body "
                       "named, not the caller whose token created it",
                       expected=f"{owner_field} = {show(mine)} ({whose(ctx, owner)} {subject})",
                       received=f"{owner_field} = {show(stored)}")
    if replace:
        await _replace_keeps_owner(ctx, owner, other, collection, body, owner_field, subject, id_field)


async def _replace_keeps_owner(ctx: CheckContext, owner: str, other: str, collection: str,
                               body: dict[str, Any], owner_field: str, subject: str,
                               id_field: str) -> None:
    """A PUT of `owner`'s resource whose body names `other` as owner, and another id, leaves
    both as they were (or is refused with 400 or 422)."""
    url, created = await create_as(ctx, owner, collection, body)
    mine, theirs = ctx.fixtures[owner][subject], ctx.fixtures[other][subject]
    kept_id = created.get(id_field)
    other_id = kept_id + 1_000_000 if isinstance(kept_id, int) else f"{kept_id}-{secrets.token_hex(3)}"
    token = bearer(ctx.fixtures[owner]["access_token"])
    sneaky = {**ctx.fill(body), owner_field: theirs, id_field: other_id}
    replaced = await ctx.request("PUT", url, json_body=sneaky, headers=token)
    if replaced.status in (400, 422):
        return  # refusing the members is fine
    sent = f"PUT {url} with {owner_field} = {show(theirs)} and {id_field} = {show(other_id)}"
    ctx.expect(replaced.status == 200, f"{sent} answered {replaced.status}",
               expected="200 (owner and id ignored) or 422", received=f"status {replaced.status}")
    _expect_kept(ctx, f"{sent} answered a resource whose", ctx.json(replaced),
                 {owner_field: mine, id_field: kept_id})
    after = await ctx.request("GET", url, headers=token)
    ctx.expect(after.status == 200, f"after {sent}, GET {url} with {whose(ctx, owner)} token "
               f"answered {after.status}: the replacement handed the resource to someone else",
               expected="status 200, still the owner's", received=f"status {after.status}")
    _expect_kept(ctx, f"after {sent}, the resource's", ctx.json(after),
                 {owner_field: mine, id_field: kept_id})


def _expect_kept(ctx: CheckContext, said: str, document: Any, kept: dict[str, Any]) -> None:
    """Each member of `kept` still holds its value in `document`, whatever a body said."""
    for name, wanted in kept.items():
        found = document.get(name) if isinstance(document, dict) else None
        ctx.expect(found == wanted, f"{said} {name} is what the body said: a replacement writes "
                   f"only the members a client may set, and {' and '.join(kept)} are not among "
                   "them (mass assignment, OWASP API3:2023)",
                   expected=f"{name} = {show(wanted)}", received=f"{name} = {show(found)}")


@check("token-in-query-refused")
async def token_in_query_refused(ctx: CheckContext, *, token: dict[str, Any], requests: Requests,
                                 param: str = "access_token") -> None:
    """A valid token sent in the URL's query string is refused with 401 or 400, never served,
    whether it comes alone or beside the same token in the Authorization header: URLs end up
    in logs and Referer headers (OAuth 2.1, RFC 9700 §4.3), and a client sends its token one
    way only (RFC 6750 §2)."""
    valid = await token_from(ctx, token)
    for headers, beside in (({}, "(no Authorization header)"),
                            (bearer(valid), "with the same token in Authorization: Bearer too")):
        for label, response in await send_all(ctx, requests, headers, query={param: valid}):
            ctx.expect(response.status in (400, 401), f"{label}?{param}=<a valid token> {beside} "
                       f"answered {response.status}: a token in a URL ends up in logs, history "
                       "and Referer headers, so such a request is refused whatever else it carries",
                       expected="status 401 or 400: a token in the URL is refused",
                       received=f"status {response.status} {response.reason}")
