"""Registered checks for caching and conditional requests (RFC 9110 §8.8 and §13, RFC 9111),
and the helpers of the checks of entity tags (`grader.checks.etags`) and dates
(`grader.checks.last_modified`).

Most rules of conditional requests read well as declarative steps (send If-Match with a captured
ETag, expect 412). The checks here need more: reading a 304 byte by byte, since a client drops
whatever follows its head, and parsing Cache-Control.

Requests a check sends on its own behalf are given in the exercise file as small tables,
`{ method, path, headers, json }`, with `${...}` placeholders; `${etag}` is the ETag the check
has just read from the resource it works on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grader.checks.registry import check
from grader.checks.rest import head_like_get
from grader.context import NO_BODY, CheckContext
from grader.http_helpers import list_members, unquote
from grader.wire import Received

# Fields a 304 must send when the 200 has them (RFC 9110 §15.4.5), besides Date: the first
# three with the 200's very values; Content-Location and Expires may be computed afresh.
REPEATED_BY_304 = ("etag", "cache-control", "vary")
RENEWED_BY_304 = ("content-location", "expires")


# --- helpers ------------------------------------------------------------------------------------


def cache_directives(response: Received) -> dict[str, str | None]:
    """The Cache-Control directives of a response, names lowercased, each with its argument or
    None (RFC 9111 §5.2). A quoted argument may hold commas (`no-cache="Set-Cookie, Age"`); a
    member with no name is skipped."""
    directives: dict[str, str | None] = {}
    for value in response.headers.get_list("cache-control"):
        for member in list_members(value):
            name, _, argument = member.partition("=")
            if name.strip():
                directives.setdefault(name.strip().lower(), unquote(argument) or None)
    return directives


def is_weak(tag: str) -> bool:
    return tag.startswith("W/")


async def send(ctx: CheckContext, request: dict[str, Any], path: str | None = None) -> Received:
    """Send a request described as `{method, path, headers, json}`, placeholders filled."""
    request = ctx.fill(request)
    return await ctx.request(request.get("method", "GET").upper(), request.get("path", path or ""),
                             headers={k: str(v) for k, v in request.get("headers", {}).items()},
                             json_body=request.get("json", NO_BODY))


async def prepare(ctx: CheckContext, create: dict[str, Any] | None, statuses: Sequence[int]) -> None:
    """Create what the check works on, when it says how."""
    if create is None:
        return
    with ctx.preparing(f"creating what it works on ({ctx.fill(create.get('method', 'GET'))} "
                       f"{ctx.fill(create.get('path', ''))})"):
        response = await send(ctx, create)
        advice = "make the create checks pass first"
        if response.status in (409, 412):
            # Replaying a seed creates the same resources again on a server that kept them.
            advice = ("it already exists on your server: a replayed seed creates the same "
                      "resources, so restart your server before replaying")
        ctx.expect(response.status in statuses, f"the request that creates the resource answered "
                   f"{response.status}; {advice}",
                   expected="status " + " or ".join(map(str, statuses)),
                   received=f"status {response.status} {response.reason}")


async def read_etag(ctx: CheckContext, path: str, what: str = "the resource") -> Received:
    """GET `path`, require a 200 with an ETag, and set `${etag}` to it."""
    response = await ctx.request("GET", path)
    ctx.expect(response.status == 200, f"GET {path} answered {response.status}",
               expected="status 200", received=f"status {response.status} {response.reason}")
    etag = response.headers.get("etag")
    ctx.expect(etag is not None, f"GET {path} has no ETag header, so {what} cannot be revalidated "
               "or updated safely", expected="an ETag header", received="none")
    ctx.vars["etag"] = etag
    return response


def weak_tag_note(etag: str) -> str:
    return (f" Your ETag {etag} is weak: If-Match uses strong comparison, so a weak tag never "
            "matches and no conditional write can succeed (RFC 9110 §13.1.1)." if is_weak(etag) else "")


# --- checks -------------------------------------------------------------------------------------


@check("not-modified")
async def not_modified(
    ctx: CheckContext,
    *,
    path: str,
    create: dict[str, Any] | None = None,
    method: str = "GET",
) -> None:
    """A conditional GET (or HEAD) for the current ETag is a 304 with no content on the wire.

    Proves RFC 9110 §15.4.5: a 304 ends at its head, and repeats the ETag, Cache-Control and
    Vary that a 200 would carry (and sends Content-Location and Expires when the 200 has them),
    so that caches can refresh their copy; a Content-Length on it must be the 200's (§8.6).
    The 304 is read byte by byte: a body that a client would silently drop still fails.
    """
    await prepare(ctx, create, (200, 201))
    path = ctx.fill(path)
    full = await read_etag(ctx, path)
    etag = ctx.vars["etag"]
    response = await ctx.request_unframed(method.upper(), path, {"If-None-Match": etag})
    ctx.expect(response.status == 304, f"{method.upper()} {path} with If-None-Match: {etag} (the "
               f"ETag it just sent) answered {response.status}",
               expected="status 304 Not Modified", received=f"status {response.status} {response.reason}")
    ctx.expect(not response.body, f"the 304 is followed by {len(response.body)} bytes of content; a "
               "304 has none, and a client reading the next response on this connection would "
               "take them for its start (curl, like every HTTP client, hides them: they show "
               "only on the raw connection)", expected="nothing after the 304's head",
               received=f"after the head: {response.text[:200]}")
    for name in REPEATED_BY_304:
        want, have = full.headers.get_list(name), response.headers.get_list(name)
        ctx.expect(want == have, f"the 304's {name} differs from the 200's: a cache refreshes its "
                   f"stored copy with the 304's headers", expected=f"{name}: {', '.join(want)}"
                   if want else f"no {name}", received=f"{name}: {', '.join(have)}" if have
                   else f"no {name} header")
    for name in RENEWED_BY_304:
        ctx.expect(name not in full.headers or name in response.headers, f"the 200 has {name} "
                   "but the 304 does not: a cache refreshing its copy would keep the old one",
                   expected=f"{name}: ...", received=f"no {name} header")
    length = response.headers.get("content-length")
    ctx.expect(length is None or length == str(len(full.body)), "the 304's Content-Length is not "
               "the length of the 200's content; a cache would store it as the page's length",
               expected=f"no Content-Length, or Content-Length: {len(full.body)}",
               received=f"Content-Length: {length}")


@check("head-revalidates")
async def head_revalidates(
    ctx: CheckContext,
    *,
    path: str,
    create: dict[str, Any] | None = None,
) -> None:
    """HEAD answers as GET does, unconditional and conditional: GET's status and header fields,
    validators included, and a 304 for GET's ETag, with no body either time.

    Proves RFC 9110 §9.3.2 (HEAD has GET's header fields; a Content-Length, when sent, is GET's:
    §8.6) and §13.2.1 (the preconditions of GET apply to HEAD). Unlike `head-like-get`, the
    ETag may not be left out: a client revalidates with the validators a HEAD gives it.
    """
    await prepare(ctx, create, (200, 201))
    await head_like_get(ctx, path=path, from_content=("content-length",))
    await not_modified(ctx, path=path, method="HEAD")


@check("cache-control")
async def cache_control(
    ctx: CheckContext,
    *,
    path: str,
    required: Sequence[str] = (),
    forbidden: Sequence[str] = (),
    create: dict[str, Any] | None = None,
    conditional: bool = True,
) -> None:
    """Cache-Control holds the `required` directives and none of the `forbidden` ones.

    Proves the lesson's caching policy in RFC 9111 §5.2 terms: directive names are compared
    case-insensitively, in any order, with any other directives allowed. With `conditional`,
    the 304 to a revalidation (If-None-Match with the 200's ETag) must follow the policy too.
    """
    await prepare(ctx, create, (200, 201))
    path = ctx.fill(path)
    full = await read_etag(ctx, path)
    responses = [("the 200", full)]
    if conditional:
        revalidated = await ctx.request("GET", path, headers={"If-None-Match": ctx.vars["etag"]})
        ctx.expect(revalidated.status == 304, f"GET {path} with If-None-Match: {ctx.vars['etag']} "
                   f"answered {revalidated.status}", expected="status 304",
                   received=f"status {revalidated.status} {revalidated.reason}")
        responses.append(("the 304", revalidated))
    for which, response in responses:
        directives = cache_directives(response)
        shown = ", ".join(response.headers.get_list("cache-control")) or "(none)"
        for name in required:
            ctx.expect(name.lower() in directives, f"{which}'s Cache-Control lacks {name}",
                       expected=f"Cache-Control with {name}", received=f"Cache-Control: {shown}")
            # A qualified no-cache or private (RFC 9111 §5.2.2.4, §5.2.2.7) applies to the
            # fields it names alone: the rest of the response is free of it.
            fields = directives[name.lower()]
            ctx.expect(fields is None, f"{which}'s Cache-Control has {name} only for the fields "
                       f"{fields}, which leaves the rest of the response free of it",
                       expected=f"Cache-Control with {name} on its own, with no field names",
                       received=f"Cache-Control: {shown}")
        for name in forbidden:
            ctx.expect(name.lower() not in directives, f"{which}'s Cache-Control has {name}",
                       expected=f"Cache-Control without {name}", received=f"Cache-Control: {shown}")
