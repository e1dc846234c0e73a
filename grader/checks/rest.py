"""Registered checks and fixtures for REST and HTTP semantics (lesson 1).

Each check is reusable by any exercise that has a collection of JSON resources: the collection's
path, the body that creates a resource, where the list keeps its items and which field is the id
are all parameters. Checks that need a resource to work on create it first (`create_in` + `body`)
and then work on the URL its `Location` header names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apilab.catalog.models import JsonPath, Matcher, Service, SingularJsonPath
from grader.checks.registry import check, fixture
from grader.context import CheckContext, with_query
from grader.http_helpers import (
    CONTENT_DERIVED_HEADERS,
    VOLATILE_HEADERS,
    allow_methods,
    create,
    expect_problem,
    id_of,
    key,
    leaked_internals,
    location_of,
    target_of,
    walk,
)
from grader.matchers import expectation, filled, nodes_mismatch, show

# --- fixtures -----------------------------------------------------------------------------------


@fixture("created-resource")
async def created_resource(
    ctx: CheckContext,
    *,
    collection: str,
    body: Any,
    on: Service | None = None,
    id_field: SingularJsonPath = "id",
) -> dict[str, Any]:
    """Creates one resource for the whole run: POST `body` to `collection`, 201 with a Location.

    Proves nothing by itself (the create checks do, RFC 9110 §15.3.2); it shares the resource
    with the checks that need it, as `${NAME.url}` (absolute URL from Location), `${NAME.path}`,
    `${NAME.id}` and `${NAME.body}` (the JSON the server answered). It is created on the
    learner's server, or on the service named by `on` (such as the sandbox).
    """
    server = ctx.service(on) if on else ctx.server
    response, document = await create(ctx, collection, body, server)
    url = location_of(ctx, response, f"POST {ctx.fill(collection)}")
    return {"url": url, "path": url.removeprefix(server.url) or "/",
            "id": id_of(ctx, document, id_field, "the created resource"), "body": document}


# --- checks -------------------------------------------------------------------------------------


@check("allow-header")
async def allow_header(
    ctx: CheckContext,
    *,
    method: str,
    allowed: Sequence[str],
    path: str | None = None,
    create_in: str | None = None,
    body: Any = None,
    optional: Sequence[str] = ("OPTIONS",),
) -> None:
    """An unsupported method gets 405 with an `Allow` header naming exactly the supported ones.

    Proves RFC 9110 §15.5.6 (a 405 MUST carry Allow) and §10.2.1 (Allow lists the methods the
    target resource supports). Compared as a set: order and spacing do not matter; methods in
    `optional` (OPTIONS by default, which many frameworks answer on their own) may be listed or not.
    The target is `path`, or a resource created in `create_in` from `body`.
    """
    url = await target_of(ctx, path, create_in, body)
    content = {} if method.upper() in ("POST", "PUT", "PATCH") else None
    kwargs = {"json_body": content} if content is not None else {}
    response = await ctx.request(method.upper(), url, **kwargs)
    ctx.expect(response.status == 405, f"{method.upper()} {ctx.based(url)} answered {response.status}",
               expected="status 405 Method Not Allowed",
               received=f"status {response.status} {response.reason}")
    got = allow_methods(response)
    want = ", ".join(allowed)
    ctx.expect(bool(got), "the 405 has no Allow header; RFC 9110 requires one so that a client "
               "can tell which methods would work",
               expected=f"Allow: {want}", received="no Allow header")
    missing = [m for m in allowed if m not in got]
    extra = [m for m in dict.fromkeys(got) if m not in allowed and m not in optional]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"lists {', '.join(extra)}, which this URI does not support"] if extra else [])
        if any(m.upper() in allowed for m in extra):
            parts.append("method names are case-sensitive (RFC 9110 §9.1)")
        ctx.fail(f"the Allow header is not the set of supported methods: {'; '.join(parts)}",
                 expected=f"Allow: {want}" + (f" (and optionally {', '.join(optional)})"
                                              if optional else ""),
                 received=f"Allow: {', '.join(got)}")


@check("head-like-get")
async def head_like_get(
    ctx: CheckContext,
    *,
    path: str | None = None,
    create_in: str | None = None,
    body: Any = None,
    ignore_headers: Sequence[str] = VOLATILE_HEADERS,
    from_content: Sequence[str] = CONTENT_DERIVED_HEADERS,
) -> None:
    """HEAD answers with GET's status and header fields, and no body.

    Proves RFC 9110 §9.3.2. Headers in `ignore_headers` (Date, Server and other per-response
    fields) are not compared. Those in `from_content` (Content-Length, an ETag, a digest), whose
    value a server may know only by generating the content, may be left out of the HEAD response,
    as §9.3.2 allows (Django's ConditionalGetMiddleware computes its ETag on GET only), but when
    sent they must be GET's. The target is `path`, or a resource created in `create_in` from `body`.
    """
    url = await target_of(ctx, path, create_in, body)
    got = await ctx.request("GET", url)
    ctx.expect(got.status == 200, f"GET {ctx.based(url)} answered {got.status}, so HEAD has nothing to match",
               expected="status 200", received=f"status {got.status} {got.reason}")
    head = await ctx.request("HEAD", url)
    ctx.expect(head.status == got.status, f"HEAD {ctx.based(url)} answered {head.status} but GET answered "
               f"{got.status}", expected=f"status {got.status}", received=f"status {head.status}")
    ctx.expect(not head.body, "HEAD returned a body; a HEAD response never has content",
               expected="no body", received=f"{len(head.body)} bytes")
    ignored = {name.lower() for name in ignore_headers} | {"content-length"}
    optional = {name.lower() for name in from_content}
    for name in dict.fromkeys(n.lower() for n in got.headers):
        if name in ignored:
            continue
        want, have = got.headers.get_list(name), head.headers.get_list(name)
        if name in optional and not have:
            continue
        ctx.expect(want == have, f"HEAD's {name} header differs from GET's",
                   expected=f"{name}: {', '.join(want)}",
                   received=f"{name}: {', '.join(have)}" if have else f"no {name} header")
    length = head.headers.get("content-length")
    if length is not None and length != got.headers.get("content-length", str(len(got.body))):
        ctx.fail(f"HEAD {ctx.based(url)} says Content-Length: {length}, which is not the length "
                 "of GET's body: a HEAD's Content-Length tells the client how long GET's answer "
                 "is (RFC 9110 §8.6), and one that sizes a download or checks a cached copy by it "
                 "is misled",
                 expected=f"Content-Length: {got.headers.get('content-length', len(got.body))} "
                 "(or none)", received=f"Content-Length: {length}")


@check("pagination-walk")
async def pagination_walk(
    ctx: CheckContext,
    *,
    collection: str,
    body: Any,
    count: int = 5,
    limit: int = 2,
    query: dict[str, Any] | None = None,
    items_path: SingularJsonPath = "items",
    id_field: SingularJsonPath = "id",
    max_pages: int = 500,
) -> None:
    """Following `rel="next"` from `?limit=N` visits every resource exactly once, then stops.

    Proves RFC 8288 link navigation: creates `count` resources (`${n}` in `body` is 1..count),
    asks for pages of `limit`, and follows each page's `Link: <...>; rel="next"` to the end. Every
    created resource must appear, no id may appear twice, no page may exceed `limit`, and the last
    page must have no next link.
    """
    created = []
    for n in range(1, count + 1):
        ctx.vars["n"] = n
        _response, document = await create(ctx, collection, body)
        created.append(id_of(ctx, document, id_field, f"the created resource #{n}"))
    first = with_query(ctx.fill(collection), {**(query or {}), "limit": limit})
    pages = await walk(ctx, first, items_path, max_pages, limit)
    seen: dict[str, int] = {}
    for page, item in pages:
        item_id = id_of(ctx, item, id_field, f"an item on page {page}")
        if key(item_id) in seen:
            ctx.fail(f"{id_field} {show(item_id)} is on page {seen[key(item_id)]} and again on "
                     f"page {page}: pages must not overlap",
                     expected="each resource on exactly one page", received="a resource twice")
        seen[key(item_id)] = page
    missing = [item_id for item_id in created if key(item_id) not in seen]
    if missing:
        last = pages[-1][0] if pages else 1
        ctx.fail(f"following rel=\"next\" from {ctx.based(first)} never reached {len(missing)} of the "
                 f"{count} resources this check created (the walk ended after page {last}); "
                 "a page was skipped or the next link is missing",
                 expected=f"{id_field}s {', '.join(show(i) for i in created)} on some page",
                 received=f"never listed: {', '.join(show(i) for i in missing)}")


@check("collection-includes")
async def collection_includes(
    ctx: CheckContext,
    *,
    collection: str,
    body: Any,
    query: dict[str, Any] | None = None,
    where: dict[JsonPath, Matcher] | None = None,
    excluded_body: Any = None,
    count: int = 1,
    items_path: SingularJsonPath = "items",
    id_field: SingularJsonPath = "id",
    max_pages: int = 500,
) -> None:
    """Resources just created are listed in their collection (and a filter lists only matches).

    Proves that a collection lists its members (RFC 9110 §9.3.3: the created resource is part of
    the collection). Creates `count` resources from `body` (`${n}` numbers them), walks the list
    (with `query`, following `rel="next"`), and requires each new resource there exactly once.
    With `where`, every listed item must match it (a filter); with `excluded_body`, a resource
    created from it must not be listed (a filter that filters). A filtered walk over several
    pages proves that the next links keep the filter (RFC 8288 §3.3).
    """
    wanted = []
    for n in range(1, count + 1):
        ctx.vars["n"] = n
        _response, document = await create(ctx, collection, body)
        wanted.append(id_of(ctx, document, id_field, "the created resource"))
    unwanted = None
    if excluded_body is not None:
        _response, other = await create(ctx, collection, excluded_body)
        unwanted = id_of(ctx, other, id_field, "the second created resource")
    first = with_query(ctx.fill(collection), query or {})
    pages = await walk(ctx, first, items_path, max_pages)
    rules = {path: filled(rule, ctx.fill) for path, rule in (where or {}).items()}
    times = {key(created): 0 for created in wanted}
    for page, item in pages:
        item_id = id_of(ctx, item, id_field, f"GET {ctx.based(first)}: an item on page {page}")
        if key(item_id) in times:
            times[key(item_id)] += 1
        # Checked per item of every page: the message (the item as JSON) only when it fails.
        if unwanted is not None and key(item_id) == key(unwanted):
            ctx.fail(f"GET {ctx.based(first)} lists {id_field} {show(unwanted)}, which the filter "
                     "excludes", expected="only matching resources", received=show(item))
        for path, rule in rules.items():
            if (broken := nodes_mismatch(rule, path, item)) is not None:
                ctx.fail(f"GET {ctx.based(first)}: an item on page {page} has {broken}, which "
                         "does not match the filter",
                         expected=f"in every item, {expectation(rule, path)}", received=show(item))
    for created in wanted:
        seen = times[key(created)]
        ctx.expect(seen == 1, f"GET {ctx.based(first)} lists the resource just created "
                   f"({id_field} {show(created)}) {seen} times",
                   expected="listed exactly once", received=f"listed {seen} times "
                   f"among {len(pages)} items")


@check("problem-details")
async def problem_details(
    ctx: CheckContext,
    *,
    method: str,
    path: str,
    statuses: Sequence[int],
    json: Any = None,
    headers: dict[str, str] | None = None,
    members: Sequence[str] = ("type", "title", "status", "detail"),
) -> None:
    """An error answers with one of `statuses` as an RFC 9457 problem details object.

    Proves RFC 9457 §3: Content-Type application/problem+json, a JSON object whose `status`
    equals the HTTP status (§3.1.3) and whose `type`, `title` and `detail` are strings. `members`
    lists the members this lesson requires (RFC 9457 makes them all optional; a lesson may not).
    """
    path = ctx.fill(path)
    kwargs = {"json_body": ctx.fill(json)} if json is not None else {}
    response = await ctx.request(method.upper(), path, headers=ctx.fill(headers or {}), **kwargs)
    ctx.expect(response.status in statuses, f"{method.upper()} {ctx.based(path)} answered {response.status}",
               expected="status " + " or ".join(str(s) for s in statuses),
               received=f"status {response.status} {response.reason}")
    expect_problem(ctx, response, members)


@check("no-trace")
async def no_trace(
    ctx: CheckContext,
    *,
    path: str,
    body: str,
    method: str = "POST",
    content_type: str = "application/json",
    statuses: Sequence[int] = (400,),
    sent: Sequence[str] = (),
) -> None:
    """A malformed request gets a 4xx that reveals nothing of the server's insides.

    Proves OWASP API8:2023 (security misconfiguration: verbose errors): the body of the answer to
    `body` (sent as `content_type`) has no stack trace, source file name or file system path,
    and the status is one of `statuses`, never a 5xx (RFC 9110 §15.5.1: the client's mistake).
    With `sent`, values that `body` holds (a password, say), the answer shows none of them, not
    even a part of one: many JSON parsers quote the text around the error in their message.
    """
    path = ctx.fill(path)
    response = await ctx.request(method.upper(), path, body=ctx.fill(body),
                                 headers={"Content-Type": content_type})
    leak = leaked_internals(response.text)
    if leak is not None:
        what, excerpt = leak
        ctx.fail(f"the error body shows {what}: it tells an attacker how your server is built",
                 expected="an error message without internals", received=excerpt)
    for value in ctx.fill(list(sent)):
        shown = echoed(str(value), response.text)
        if shown is not None:
            ctx.fail(f"{method.upper()} {ctx.based(path)} with a malformed body holding {value} "
                     f"answered an error that quotes it back ({shown!r}): a parser's message passed "
                     "on as it is repeats what the client sent, a password too, to every screen and "
                     "log the error reaches. Say what is wrong with the body, not what it holds",
                     expected=f"an error message without {value!r} or any part of it",
                     received=response.text[:300])
    ctx.expect(response.status in statuses, f"{method.upper()} {ctx.based(path)} with a malformed body "
               f"answered {response.status}",
               expected="status " + " or ".join(str(s) for s in statuses),
               received=f"status {response.status} {response.reason}")


# A quoted excerpt this long of a value sent is that value echoed, not a coincidence.
ECHO_RUN = 8


def echoed(value: str, text: str) -> str | None:
    """The part of `value` (ECHO_RUN characters in a row, or all of a shorter one) that `text`
    shows, or None: parsers quote a window of the text around an error, not whole values."""
    run = min(ECHO_RUN, len(value))
    if not run:
        return None
    for start in range(len(value) - run + 1):
        if value[start:start + run] in text:
            return value[start:start + run]
    return None
