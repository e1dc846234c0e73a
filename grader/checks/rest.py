"""Registered checks for REST and HTTP semantics (lesson 1).

Each check is reusable by any exercise that has a collection of JSON resources: the collection's
path, the body that creates a resource, where the list keeps its items and which field is the id
are all parameters. Checks that need a resource to work on create it first (`create_in` + `body`)
and then work on the URL its `Location` header names.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode, urljoin

from apilab.catalog.models import Matcher
from grader.checks.registry import check
from grader.context import CheckContext
from grader.matchers import MISSING, describe, json_path, matches, show
from grader.wire import Received

PROBLEM_JSON = "application/problem+json"
# Headers that legitimately differ between two responses to the same request.
VOLATILE_HEADERS = ("date", "server", "connection", "keep-alive", "transfer-encoding",
                    "x-request-id", "x-response-time")
# Signs that an error body reveals the server's insides (OWASP API8:2023).
TRACE_PATTERNS = {
    "a Python traceback": r"Traceback \(most recent call last\)",
    "a Python stack frame": r'File "[^"]+", line \d+',
    "a source file and line": r"\b[\w-]+\.(?:py|js|mjs|ts|rb|java|go|php|cs|rs|kt)\b:\d+",
    "a Python source file": r"\b[\w-]+\.py\b",
    "an installed-packages folder": r"site-packages|dist-packages|node_modules",
    "a file system path": r"(?:^|[\s\"'(=])/(?:usr|home|opt|var|srv|tmp|Users|root)/[\w.@-]+",
    "a Windows path": r"\b[A-Za-z]:\\[\w.-]+",
    "a stack frame": r"(?m)^\s+at [\w.$<>/]+[ (]",
    "a Go panic": r"goroutine \d+ \[",
}


# --- helpers ------------------------------------------------------------------------------------


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """The links in one `Link` field value (RFC 8288 §3): [(target, {param: value})].

    Parameter names are lowercased; quoted values are unquoted. Commas inside `<...>` or quotes
    do not split links.
    """
    links = []
    for match in re.finditer(r"<([^>]*)>((?:[^,\"]|\"(?:[^\"\\]|\\.)*\")*)", value):
        params: dict[str, str] = {}
        for name, raw in re.findall(r";\s*([^\s;,=]+)\s*(?:=\s*(\"(?:[^\"\\]|\\.)*\"|[^;,\s]*))?",
                                    match.group(2)):
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            params.setdefault(name.lower(), raw)
        links.append((match.group(1).strip(), params))
    return links


def next_link(response: Received) -> str | None:
    """The absolute URL of the `rel="next"` link of a response, if it has one."""
    for value in response.headers.get_list("link"):
        for target, params in parse_link_header(value):
            if "next" in params.get("rel", "").lower().split():
                return urljoin(response.url, target)
    return None


def allow_methods(response: Received) -> list[str]:
    """The method tokens of every `Allow` field of a response, in order (RFC 9110 §10.2.1)."""
    return [token.strip() for value in response.headers.get_list("allow")
            for token in value.split(",") if token.strip()]


def with_query(path: str, query: dict[str, Any]) -> str:
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{urlencode({k: str(v) for k, v in query.items()})}"


async def create(ctx: CheckContext, collection: str, body: Any) -> tuple[Received, Any]:
    """POST `body` (placeholders filled) to `collection`; the 201 response and its JSON body."""
    collection = ctx.based(ctx.fill(collection))
    with ctx.preparing(f"creating the resource it works on (POST {collection})"):
        response = await ctx.request("POST", collection, json_body=ctx.fill(body), based=False)
        ctx.expect(
            response.status == 201,
            f"POST {collection} answered {response.status}, so this check could not create the "
            "resource it works on; make the create checks pass first",
            expected="status 201 Created", received=f"status {response.status} {response.reason}",
        )
        return response, ctx.json(response)


async def created_url(ctx: CheckContext, collection: str, body: Any) -> str:
    """Create a resource and return the absolute URL its Location header names."""
    response, _document = await create(ctx, collection, body)
    location = response.headers.get("location")
    with ctx.preparing(f"finding the resource it created (POST {ctx.fill(collection)})"):
        ctx.expect(bool(location), f"POST {ctx.fill(collection)} answered 201 without a Location "
                   "header, so this check cannot find the new resource",
                   expected="a Location header", received="none")
    return urljoin(response.url, location)


async def target_of(ctx: CheckContext, path: str | None, create_in: str | None, body: Any) -> str:
    """The URL a check works on: `path`, or a resource it creates in `create_in` first."""
    if create_in is not None:
        return await created_url(ctx, create_in, body)
    if not path:
        ctx.fail("this check is misconfigured: it needs `path` or `create_in` in its `with`")
    return ctx.fill(path)


def id_of(ctx: CheckContext, document: Any, id_field: str, where: str) -> Any:
    value = json_path(document, id_field)
    ctx.expect(value is not MISSING, f"{where} has no {id_field}",
               expected=f"a field {id_field}", received=show(document))
    return value


def key(value: Any) -> str:
    """A hashable form of a JSON value, so that ids of any JSON type can be compared."""
    return jsonlib.dumps(value, sort_keys=True)


async def walk(ctx: CheckContext, first: str, items_path: str, max_pages: int,
               limit: int | None = None) -> list[tuple[int, Any]]:
    """Follow `rel="next"` from `first`; every (page number, item) in order.

    Fails when a page is not a 200 JSON page, holds more than `limit` items, when a next link
    leads back to a page already visited, or when there is still a next link after `max_pages`.
    """
    url, visited, found = ctx.based(first), set(), []
    for page in range(1, max_pages + 1):
        response = await ctx.request("GET", url, based=False)
        ctx.expect(response.status == 200,
                   f"page {page} of the list (GET {url}) answered {response.status}",
                   expected="status 200", received=f"status {response.status}")
        items = json_path(ctx.json(response), items_path)
        where = f"the list's {items_path!r} field" if items_path else "the list body"
        ctx.expect(isinstance(items, list), f"page {page}: {where} is not a JSON array",
                   expected="an array of resources", received=show(items))
        if limit is not None:
            ctx.expect(len(items) <= limit, f"page {page} ({url}) holds {len(items)} items, "
                       f"more than the limit={limit} asked for",
                       expected=f"at most {limit} items", received=f"{len(items)} items")
        found += [(page, item) for item in items]
        visited.add(response.url)
        url = next_link(response)
        if url is None:
            return found
        ctx.expect(url not in visited, f"page {page}'s rel=\"next\" link leads back to a page "
                   "already visited, so a client following it would loop forever",
                   expected="a link to a new page", received=f"next: {url}")
    ctx.fail(f"after {max_pages} pages ({len(found)} items) there is still a rel=\"next\" link. "
             "Either the list never ends (the last page must have no next link, or a client never "
             "knows it has reached the end), or your server holds more data than this check walks: "
             "restart it with an empty store and check again",
             expected="a last page without rel=\"next\"", received=f"next: {url}")


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
    ctx.expect(response.status == 405, f"{method.upper()} {url} answered {response.status}",
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
) -> None:
    """HEAD answers with GET's status and header fields, and no body.

    Proves RFC 9110 §9.3.2. Headers in `ignore_headers` (Date, Server and other per-response
    fields) are not compared; Content-Length may be left out of the HEAD response, but when it is
    sent it must be GET's. The target is `path`, or a resource created in `create_in` from `body`.
    """
    url = await target_of(ctx, path, create_in, body)
    got = await ctx.request("GET", url)
    ctx.expect(got.status == 200, f"GET {url} answered {got.status}, so HEAD has nothing to match",
               expected="status 200", received=f"status {got.status} {got.reason}")
    head = await ctx.request("HEAD", url)
    ctx.expect(head.status == got.status, f"HEAD {url} answered {head.status} but GET answered "
               f"{got.status}", expected=f"status {got.status}", received=f"status {head.status}")
    ctx.expect(not head.body, "HEAD returned a body; a HEAD response never has content",
               expected="no body", received=f"{len(head.body)} bytes")
    ignored = {name.lower() for name in ignore_headers} | {"content-length"}
    for name in dict.fromkeys(n.lower() for n in got.headers):
        if name in ignored:
            continue
        want, have = got.headers.get_list(name), head.headers.get_list(name)
        ctx.expect(want == have, f"HEAD's {name} header differs from GET's",
                   expected=f"{name}: {', '.join(want)}",
                   received=f"{name}: {', '.join(have)}" if have else f"no {name} header")
    length = head.headers.get("content-length")
    if length is not None and length != got.headers.get("content-length", str(len(got.body))):
        ctx.fail("HEAD's Content-Length is not the length of GET's body",
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
    items_path: str = "items",
    id_field: str = "id",
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
        ctx.fail(f"following rel=\"next\" from {first} never reached {len(missing)} of the "
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
    where: dict[str, Any] | None = None,
    excluded_body: Any = None,
    count: int = 1,
    items_path: str = "items",
    id_field: str = "id",
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
    rules = {path: Matcher.model_validate(ctx.fill(rule)) for path, rule in (where or {}).items()}
    times = {key(created): 0 for created in wanted}
    for page, item in pages:
        item_id = id_of(ctx, item, id_field, f"GET {first}: an item on page {page}")
        if key(item_id) in times:
            times[key(item_id)] += 1
        ctx.expect(unwanted is None or key(item_id) != key(unwanted),
                   f"GET {first} lists {id_field} {show(unwanted)}, which the filter excludes",
                   expected="only matching resources", received=show(item))
        for path, rule in rules.items():
            value = json_path(item, path)
            ctx.expect(matches(rule, value), f"GET {first}: an item on page {page} has {path} = "
                       f"{show(value)}, which does not match the filter",
                       expected=f"every item's {path} {describe(rule)}", received=show(item))
    for created in wanted:
        seen = times[key(created)]
        ctx.expect(seen == 1, f"GET {first} lists the resource just created "
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
    ctx.expect(response.status in statuses, f"{method.upper()} {path} answered {response.status}",
               expected="status " + " or ".join(str(s) for s in statuses),
               received=f"status {response.status} {response.reason}")
    ctx.expect(response.media_type == PROBLEM_JSON, "the error is not sent as a problem details "
               "document", expected=f"Content-Type: {PROBLEM_JSON}",
               received=f"Content-Type: {response.headers.get('content-type', '(none)')}")
    document = ctx.json(response)
    ctx.expect(isinstance(document, dict), "a problem details body is a JSON object",
               expected="a JSON object", received=show(document))
    for member in members:
        value = document.get(member, MISSING)
        if member == "status":
            ctx.expect(value == response.status and type(value) is int,
                       "the problem's status member is not the response's status code",
                       expected=f"\"status\": {response.status}",
                       received=f"status = {show(value)}")
        else:
            ctx.expect(isinstance(value, str), f"the problem's {member} member is not a string",
                       expected=f"{member}: a string", received=f"{member} = {show(value)}")


@check("no-trace")
async def no_trace(
    ctx: CheckContext,
    *,
    path: str,
    body: str,
    method: str = "POST",
    content_type: str = "application/json",
    statuses: Sequence[int] = (400,),
) -> None:
    """A malformed request gets a 4xx that reveals nothing of the server's insides.

    Proves OWASP API8:2023 (security misconfiguration: verbose errors): the body of the answer to
    `body` (sent as `content_type`) has no stack trace, source file name or file system path,
    and the status is one of `statuses`, never a 5xx (RFC 9110 §15.5.1: the client's mistake).
    """
    path = ctx.fill(path)
    response = await ctx.request(method.upper(), path, body=ctx.fill(body),
                                 headers={"Content-Type": content_type})
    text = response.text
    for what, pattern in TRACE_PATTERNS.items():
        found = re.search(pattern, text)
        if found:
            start = max(0, found.start() - 40)
            ctx.fail(f"the error body shows {what}: it tells an attacker how your server is built",
                     expected="an error message without internals",
                     received="..." + text[start:found.end() + 40].strip() + "...")
    ctx.expect(response.status in statuses, f"{method.upper()} {path} with a malformed body "
               f"answered {response.status}",
               expected="status " + " or ".join(str(s) for s in statuses),
               received=f"status {response.status} {response.reason}")
