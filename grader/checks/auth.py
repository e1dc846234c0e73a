"""Registered checks for authentication and authorization (lesson 2).

The learner's server is a resource server for the sandbox's tokens. The checks here send tokens
(a signed-in user's, one the sandbox mints with a chosen defect, a forgery: see
`grader.checks.sandbox_tokens`) and judge the answers by RFC 6750 §3: 401 with a `Bearer`
challenge, 403 with `insufficient_scope`. That each user reaches their own resources only is
judged in `grader.checks.object_authorization`.

A check that refuses or accepts several tokens takes a list of them, each `called` by the words
its messages name it with ("a token without aud"). Requests are `{ method, path, json }` tables;
`${target}` in a path is the resource a check created first (`create_in`, `body`, `owner`). A
request may send a raw `body` instead of `json` and `headers` of its own, and is then `called`
by what is special about it ("with a body that is not JSON").
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from grader.checks.registry import check
from grader.checks.sandbox_tokens import token_from
from grader.context import CheckContext
from grader.http_helpers import PROBLEM_MEMBERS, Requests, bearer, expect_problem, parse_challenges
from grader.matchers import show
from grader.wire import Received

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


# --- the resources checks work on, and the requests they send ----------------------------------


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


async def expect_kept_for_owner(ctx: CheckContext, owner: str, url: str, before: Any,
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
        await expect_kept_for_owner(ctx, owner, ctx.vars["target"], before)
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
        await expect_kept_for_owner(ctx, owner, ctx.vars["target"], before)
        await expect_not_created(ctx, owner, create_in or "", requests)


@check("token-in-query-refused")
async def token_in_query_refused(ctx: CheckContext, *, token: dict[str, Any], requests: Requests,
                                 param: str = "access_token", create_in: str | None = None,
                                 body: dict[str, Any] | None = None, owner: str | None = None,
                                 form_requests: Requests = ()) -> None:
    """A valid token sent in the URL's query string is refused with 401 or 400, never served,
    whether it comes alone or beside the same token in the Authorization header: URLs end up
    in logs and Referer headers (OAuth 2.1, RFC 9700 §4.3), and a client sends its token one
    way only (RFC 6750 §2). With `create_in`, a resource is created first (by `owner`) and
    `${target}` names it, so that every route is tried, not just the collection's.
    `form_requests` are sent with the token as a form-encoded body parameter (RFC 6750 §2.2)
    and no Authorization header: a server that takes tokens from the header only answers them
    as it answers no token (401), and changes nothing: what is judged here is only that the
    token was not taken, so any refusal passes (no-token-401 judges the 401 itself)."""
    before = None
    if create_in and owner:
        _url, before = await create_as(ctx, owner, create_in, body)
    valid = await token_from(ctx, token)
    for headers, beside in (({}, "(no Authorization header)"),
                            (bearer(valid), "with the same token in Authorization: Bearer too")):
        for label, response in await send_all(ctx, requests, headers, query={param: valid}):
            ctx.expect(response.status in (400, 401), f"{label}?{param}=<a valid token> {beside} "
                       f"answered {response.status}: a token in a URL ends up in logs, history "
                       "and Referer headers, so such a request is refused whatever else it carries",
                       expected="status 401 or 400: a token in the URL is refused",
                       received=f"status {response.status} {response.reason}")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    in_form = [{**request, "headers": form, "body": f"{param}={valid}"} for request in form_requests]
    for label, response in await send_all(ctx, in_form, {}):
        ctx.expect(not 200 <= response.status < 300, f"{label} with no Authorization header and "
                   f"{param}=<a valid token> in a form-encoded body answered {response.status}: "
                   "the token was taken from the body. Tokens come in the Authorization header "
                   "only; a form body is not a place the server looks for one, so this request "
                   "has no token", expected="status 401, as for a request without a token",
                   received=f"status {response.status} {response.reason}")
    if before is not None and owner:
        await expect_kept_for_owner(ctx, owner, ctx.vars["target"], before)
