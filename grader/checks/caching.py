"""Registered checks for caching and conditional requests (RFC 9110 §8.8 and §13, RFC 9111).

Most rules of conditional requests read well as declarative steps (send If-Match with a captured
ETag, expect 412). The checks here need more: comparing validators across several responses,
parsing HTTP dates and Cache-Control, and reading a 304 byte by byte, since a client drops
whatever follows its head.

Requests a check sends on its own behalf are given in the exercise file as small tables,
`{ method, path, headers, json }`, with `${...}` placeholders; `${etag}` is the ETag the check
has just read from the resource it works on.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from grader.checks.registry import check
from grader.context import NO_BODY, CheckContext
from grader.http_helpers import list_members, unquote
from grader.matchers import show
from grader.wire import Received

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text
ENTITY_TAG = re.compile(r'(W/)?"[\x21\x23-\x7e\x80-\xff]*"')
# RFC 9110 §5.6.7: the preferred format, IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"
IMF_FIXDATE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
                         r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT")
# Fields a 304 must send when the 200 has them (RFC 9110 §15.4.5), besides Date: the first
# three with the 200's very values; Content-Location and Expires may be computed afresh.
REPEATED_BY_304 = ("etag", "cache-control", "vary")
RENEWED_BY_304 = ("content-location", "expires")
CLOCK_SLACK = 5.0  # seconds between the grader's clock and the server's, on one machine


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


@check("validator-changes")
async def validator_changes(
    ctx: CheckContext,
    *,
    path: str,
    change: dict[str, Any] | Sequence[dict[str, Any]],
    create: dict[str, Any] | None = None,
    expect_json: dict[str, Any] | None = None,
) -> None:
    """A successful change gives the resource a new ETag, sent with the change and by GET after.

    Proves RFC 9110 §8.8.3 (a strong ETag changes when the representation does) and the lesson
    policy that a write answers with the new validators (§8.8.3: "as determined at the conclusion
    of handling the request"): `change` (or each of a list of changes, in turn) is sent with
    `${etag}` the current ETag; its answer must be a 2xx whose ETag differs from the old one and
    equals what a GET then shows. After the last change, the GET's JSON must hold `expect_json`
    (path -> value).
    """
    await prepare(ctx, create, (200, 201))
    path = ctx.fill(path)
    fetched = await read_etag(ctx, path)
    for one in [change] if isinstance(change, dict) else change:
        fetched = await changed_with_new_etag(ctx, one, path)
    document = ctx.json(fetched)
    for key, value in ctx.fill(expect_json or {}).items():
        ctx.expect(isinstance(document, dict) and document.get(key) == value,
                   f"after the change, the page's {key} is not as it should be",
                   expected=f"{key}: {show(value)}",
                   received=f"{key}: {show(document.get(key) if isinstance(document, dict) else document)}")


async def changed_with_new_etag(ctx: CheckContext, change: dict[str, Any], path: str) -> Received:
    """Send one change with the current `${etag}`; require a new ETag, the one GET then shows."""
    before = ctx.vars["etag"]
    changed = await send(ctx, change, path)
    method = ctx.fill(change.get("method", "GET")).upper()
    ctx.expect(200 <= changed.status < 300, f"{changed.status} to a {method} sent with If-Match: "
               f"the current ETag ({before})." + weak_tag_note(before), expected="status 200",
               received=f"status {changed.status} {changed.reason}")
    after = changed.headers.get("etag")
    ctx.expect(after is not None, f"the answer to a successful {method} has no ETag, so the editor "
               "must GET the page again before the next change", expected="the new ETag",
               received="no ETag header")
    ctx.expect(after != before, f"the ETag did not change after a successful {method}, although "
               "every successful write makes a new revision, even one that sends the values the "
               "page already has: a client holding the old version would be told it is current "
               "(304), and an editor with the old ETag could overwrite the change",
               expected=f"an ETag other than {before}", received=f"ETag: {after}")
    fetched = await read_etag(ctx, path)
    ctx.expect(ctx.vars["etag"] == after, f"GET right after the {method} shows another ETag than "
               "the change's answer: validators must describe the stored representation, whoever "
               "computes them", expected=f"ETag: {after}", received=f"ETag: {ctx.vars['etag']}")
    return fetched


@check("http-date")
async def http_date(
    ctx: CheckContext,
    *,
    path: str,
    create: dict[str, Any] | None = None,
    header: str = "Last-Modified",
) -> None:
    """A date header is an IMF-fixdate in GMT, not in the future, not before the resource existed.

    Proves RFC 9110 §5.6.7 (HTTP dates: the IMF-fixdate form, always GMT) and §8.8.2.1 (an origin
    server must not send a Last-Modified later than its own time). When the check creates the
    resource itself, the date may not be earlier than that creation either.
    """
    started = time.time()
    await prepare(ctx, create, (200, 201))
    path = ctx.fill(path)
    response = await ctx.request("GET", path)
    ctx.expect(response.status == 200, f"GET {path} answered {response.status}",
               expected="status 200", received=f"status {response.status} {response.reason}")
    value = response.headers.get(header)
    ctx.expect(value is not None, f"GET {path} has no {header} header",
               expected=f"{header}: an HTTP date such as Tue, 15 Nov 2025 08:12:31 GMT",
               received=f"no {header} header")
    ctx.expect(IMF_FIXDATE.fullmatch(value) is not None, f"{header} is not an HTTP date in the "
               "preferred format", expected="like Tue, 15 Nov 2025 08:12:31 GMT (IMF-fixdate)",
               received=f"{header}: {value}")
    stamp = parsedate_to_datetime(value).timestamp()
    ctx.expect(stamp <= time.time() + CLOCK_SLACK, f"{header} is in the future",
               expected="a date no later than now", received=f"{header}: {value}")
    if create is not None:
        ctx.expect(stamp >= int(started) - CLOCK_SLACK, f"{header} is earlier than the moment "
                   "this check created the resource", expected="the time of the last change",
                   received=f"{header}: {value}")


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


@check("collection-etag")
async def collection_etag(
    ctx: CheckContext,
    *,
    collection: str,
    member: str,
    create: dict[str, Any],
    edit: dict[str, Any],
    delete: dict[str, Any],
) -> None:
    """A collection's ETag is stable, revalidates with 304, and changes with its membership.

    Proves RFC 9110 §8.8.3 for a list: its ETag must change whenever its representation does.
    Creates members 1 and 2 at `member` (`${n}` numbers them), then checks that the ETag holds
    across GETs and answers If-None-Match with 304, and that it changes after a member is
    created (3), after another is deleted (1: the count is back where it was, the list is not),
    and after one is edited (2; `${etag}` is that member's ETag).
    """
    for n in (1, 2):
        ctx.vars["n"] = n
        await prepare(ctx, {**create, "path": member}, (200, 201))
    collection = ctx.fill(collection)
    first = await list_etag(ctx, collection)
    again = await list_etag(ctx, collection)
    ctx.expect(again == first, f"two GETs of {collection}, with no change between them, gave two "
               "ETags", expected=f"ETag: {first} both times", received=f"ETag: {again}")
    revalidated = await ctx.request("GET", collection, headers={"If-None-Match": first})
    ctx.expect(revalidated.status == 304, f"GET {collection} with If-None-Match: {first} (its "
               f"current ETag) answered {revalidated.status}", expected="status 304",
               received=f"status {revalidated.status} {revalidated.reason}")
    seen = [first]
    for n, request, what in ((3, create, "a new member was created"),
                             (1, delete, "a member was deleted"),
                             (2, edit, "a member was edited")):
        ctx.vars["n"] = n
        path = ctx.fill(member)
        if request is not create:
            await read_etag(ctx, path, "the member")
        response = await send(ctx, request, path)
        ctx.expect(200 <= response.status < 300, f"{request.get('method', 'GET')} {path} answered "
                   f"{response.status}, so this check cannot change the list",
                   expected="a 2xx status", received=f"status {response.status} {response.reason}")
        etag = await list_etag(ctx, collection)
        ctx.expect(etag not in seen, f"the ETag of {collection} did not change after {what}: a "
                   "client revalidating its copy would be told the old list is current",
                   expected=f"an ETag other than {', '.join(seen)}", received=f"ETag: {etag}")
        seen.append(etag)


async def list_etag(ctx: CheckContext, path: str) -> str:
    response = await ctx.request("GET", path)
    ctx.expect(response.status == 200, f"GET {path} answered {response.status}",
               expected="status 200", received=f"status {response.status} {response.reason}")
    etag = response.headers.get("etag")
    ctx.expect(etag is not None, f"GET {path} has no ETag header", expected="an ETag header",
               received="none")
    ctx.expect(ENTITY_TAG.fullmatch(etag) is not None, f"the ETag of {path} is not an entity tag",
               expected='a quoted tag, "..." or W/"..."', received=f"ETag: {etag}")
    return etag


@check("weak-form")
async def weak_form(
    ctx: CheckContext,
    *,
    path: str,
    requests: list[dict[str, Any]],
    status: int,
    create: dict[str, Any] | None = None,
    unchanged: bool = False,
) -> None:
    """Each of `requests`, carrying the weak form of the current ETag, gets `status`.

    Proves the comparison functions of RFC 9110 §8.8.3.2: If-None-Match compares weakly
    (W/"x" matches "x": 304), If-Match strongly (W/"x" never matches: 412), for every method
    that sends it. Each request uses `${weak_etag}`, the current ETag with W/ in front (once,
    even if it is weak already). With `unchanged`, a GET after each must show the same ETag:
    the refused write changed nothing.
    """
    await prepare(ctx, create, (200, 201))
    path = ctx.fill(path)
    await read_etag(ctx, path)
    etag = ctx.vars["etag"]
    ctx.vars["weak_etag"] = etag if is_weak(etag) else f"W/{etag}"
    for request in requests:
        response = await send(ctx, request, path)
        sent = ctx.fill(request)
        ctx.expect(response.status == status, f"{sent.get('method', 'GET')} {path} with "
                   f"{', '.join(f'{k}: {v}' for k, v in sent.get('headers', {}).items())} answered "
                   f"{response.status}", expected=f"status {status}",
                   received=f"status {response.status} {response.reason}")
        if unchanged:
            await read_etag(ctx, path)
            ctx.expect(ctx.vars["etag"] == etag, "the page changed although the request was refused",
                       expected=f"ETag: {etag}", received=f"ETag: {ctx.vars['etag']}")


@check("last-modified-moves")
async def last_modified_moves(
    ctx: CheckContext,
    *,
    path: str,
    changes: list[dict[str, Any]],
    create: dict[str, Any] | None = None,
) -> None:
    """Each of `changes` moves Last-Modified forward: its answer carries a later date than the
    one before, and a GET right after shows that same date. Until the next change, the date
    stays: a GET just before it still shows the last change's.

    Proves RFC 9110 §8.8.2 (Last-Modified is when the representation last changed; a client
    revalidating with If-Modified-Since relies on it) and the lesson policy that a write answers
    with its new validators. A date has whole seconds, so each change is sent more than a second
    after the answer to the one before: by then the server's clock, whatever its offset and
    however it rounds, has moved on by a whole second, and a date taken from the time of the
    request, not of the change, shows on the GET sent then. `${etag}` is the current ETag.
    """
    await prepare(ctx, create, (200, 201))
    answered = time.monotonic()
    path = ctx.fill(path)
    before = _date(ctx, await read_etag(ctx, path), f"GET {path}")
    for change in changes:
        await asyncio.sleep(max(0.0, answered + APART - time.monotonic()))
        kept = _date(ctx, await read_etag(ctx, path), f"GET {path}")
        ctx.expect(kept[0] == before[0], f"GET {path}, over a second after the page last changed "
                   f"and with no change since, answered Last-Modified: {kept[0]} instead of the "
                   f"last change's {before[0]}: Last-Modified is the time of the page's last "
                   "change, not of the request; a date that moves while the page stays the same "
                   "tells every client and cache that it changed when it did not",
                   expected=f"Last-Modified: {before[0]}, until the page changes",
                   received=f"Last-Modified: {kept[0]}")
        method = ctx.fill(change).get("method", "GET")
        changed = await send(ctx, change, path)
        answered = time.monotonic()
        ctx.expect(200 <= changed.status < 300, f"{method} {path} with If-Match: the current ETag "
                   f"answered {changed.status}", expected="status 200",
                   received=f"status {changed.status} {changed.reason}")
        after = _date(ctx, changed, f"the answer to {method}")
        ctx.expect(after[1] > before[1], f"{method} changed the page over a second after its last "
                   f"change, yet answered Last-Modified: {after[0]}, no later than before "
                   f"({before[0]}): a client holding the old page and asking If-Modified-Since "
                   f"{before[0]} is told 304, and keeps the old page", expected=f"a Last-Modified "
                   f"later than {before[0]}", received=f"Last-Modified: {after[0]}")
        shown = _date(ctx, await read_etag(ctx, path), f"GET {path}")
        ctx.expect(shown[0] == after[0], f"GET right after {method} shows another Last-Modified "
                   "than the change's answer: validators must describe the stored page, whoever "
                   "computes them", expected=f"Last-Modified: {after[0]}",
                   received=f"Last-Modified: {shown[0]}")
        before = after


APART = 1.05  # seconds between a change's answer and the next change: more than a date's resolution


def _date(ctx: CheckContext, response: Received, where: str) -> tuple[str, float]:
    """The Last-Modified of `response`, as written and as a timestamp; fails when none is there."""
    value = response.headers.get("last-modified")
    ctx.expect(value is not None, f"{where} has no Last-Modified header", expected="Last-Modified: "
               "the time of the page's last change", received="no Last-Modified header")
    try:
        return value, parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        ctx.fail(f"{where} has a Last-Modified that is not an HTTP date",
                 expected="like Tue, 15 Nov 2025 08:12:31 GMT", received=f"Last-Modified: {value}")
