"""HTTP moves that checks of every topic share: reading `Link`, `Allow` and `WWW-Authenticate`,
creating a resource and finding it, walking a paginated list, checking a problem details body,
spotting leaked internals (and, in `grader.lockouts`, lockouts).

A topic's modules under `grader/checks/` share helpers among themselves; a later lesson may build
on an earlier one's (the security lesson's shop is judged with the auth lesson's token checks),
never the other way, so that a lesson's checks can be added or removed without touching an
earlier lesson's. What every topic needs lives here.
"""

from __future__ import annotations

import base64
import json as jsonlib
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from grader.context import CheckContext, Server
from grader.matchers import MISSING, show, value_at
from grader.wire import Received

PROBLEM_JSON = "application/problem+json"
# What the course's lessons ask of every problem (RFC 9457 makes each member optional).
PROBLEM_MEMBERS = ("type", "title", "status", "detail")
# What an exercise file gives a check to send: `{ method, path, headers, json | body }` tables,
# with `${...}` placeholders.
Requests = list[dict[str, Any]]
# Headers that legitimately differ between two responses to the same request.
VOLATILE_HEADERS = ("date", "server", "connection", "keep-alive", "transfer-encoding",
                    "x-request-id", "x-response-time")
# Fields whose value may be known only by generating the content: a HEAD response may leave
# them out (RFC 9110 §9.3.2), though when it sends one it must be GET's.
CONTENT_DERIVED_HEADERS = ("content-length", "etag", "content-digest", "repr-digest", "digest",
                           "content-md5")
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


# --- header fields ------------------------------------------------------------------------------


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


def links(response: Received) -> list[tuple[str, set[str]]]:
    """Every link of every Link field: (absolute target, its relation types, lower-case)."""
    return [(urljoin(response.url, target), set(params.get("rel", "").lower().split()))
            for value in response.headers.get_list("link")
            for target, params in parse_link_header(value)]


def link_to(response: Received, relation: str) -> str | None:
    """The absolute target of the first link with relation type `relation`, if any."""
    return next((target for target, rels in links(response) if relation in rels), None)


def next_link(response: Received) -> str | None:
    """The absolute URL of the `rel="next"` link of a response, if it has one."""
    return link_to(response, "next")


def list_members(value: str) -> list[str]:
    """The members of a field value that is a list (RFC 9110 §5.6.1), stripped, empty ones
    dropped; a comma inside a quoted string (§5.6.4) does not split."""
    return [member.strip() for member in re.findall(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+', value)
            if member.strip()]


def unquote(raw: str) -> str:
    """A token as it is, a quoted string without its quotes and escapes (RFC 9110 §5.6.4)."""
    raw = raw.strip()
    return re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') and raw.endswith('"') else raw


def parse_challenges(values: list[str]) -> list[tuple[str, dict[str, str]]]:
    """The challenges of `WWW-Authenticate` field values (RFC 9110 §11.6.1): [(scheme, params)].

    Schemes keep their spelling (compare them case-insensitively); parameter names are
    lowercased and quoted values unquoted. Commas inside quoted strings do not split.
    """
    found: list[tuple[str, dict[str, str]]] = []
    for value in values:
        for item in list_members(value):
            param = re.fullmatch(r'([^\s=]+)\s*=\s*(.*)', item, re.S)
            if param and found:
                found[-1][1][param.group(1).lower()] = unquote(param.group(2))
                continue
            scheme, _, rest = item.partition(" ")
            params: dict[str, str] = {}
            if (first := re.fullmatch(r'([^\s=]+)\s*=\s*(.*)', rest.strip(), re.S)) is not None:
                params[first.group(1).lower()] = unquote(first.group(2))
            if scheme:
                found.append((scheme, params))
    return found


def basic_credentials(username: str, password: str) -> dict[str, str]:
    """An `Authorization: Basic` header (RFC 7617 §2)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    """An `Authorization` header carrying a bearer token (RFC 6750 §2.1)."""
    return {"Authorization": f"{scheme} {token}"}


def allow_methods(response: Received) -> list[str]:
    """The method tokens of every `Allow` field of a response, in order (RFC 9110 §10.2.1)."""
    return [token.strip() for value in response.headers.get_list("allow")
            for token in value.split(",") if token.strip()]


# --- resources ----------------------------------------------------------------------------------


async def create(ctx: CheckContext, collection: str, body: Any,
                 server: Server | None = None) -> tuple[Received, Any]:
    """POST `body` (placeholders filled) to `collection` on `server` (the learner's by default);
    the 201 response and its JSON body. Anything else fails as a preparation, not as the test."""
    server = server or ctx.server
    collection = ctx.fill(collection)
    if server is ctx.server:  # a service such as the sandbox has no base path
        collection = ctx.based(collection)
    with ctx.preparing(f"creating the resource it works on (POST {collection})"):
        response = await server.request("POST", collection, json_body=ctx.fill(body))
        ctx.expect(
            response.status == 201,
            f"POST {collection} answered {response.status}, so the resource to work on could not be "
            "created; make the create checks pass first",
            expected="status 201 Created", received=f"status {response.status} {response.reason}",
        )
        return response, ctx.json(response)


async def created_url(ctx: CheckContext, collection: str, body: Any,
                      server: Server | None = None) -> str:
    """Create a resource and return the absolute URL its Location header names."""
    response, _document = await create(ctx, collection, body, server)
    return location_of(ctx, response, f"POST {ctx.based(ctx.fill(collection))}")


def location_of(ctx: CheckContext, response: Received, request_line: str) -> str:
    """The absolute URL of a 201's Location header; a preparation failure when there is none."""
    location = response.headers.get("location")
    with ctx.preparing(f"finding the resource it created ({request_line})"):
        ctx.expect(bool(location), f"{request_line} answered 201 without a Location header, so "
                   "the new resource cannot be found",
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
    """The value at `id_field` (a singular JSONPath) in `document`, or a failure naming `where`."""
    value = value_at(document, id_field)
    if value is MISSING:  # asked of every item of a list: the document shown only when it fails
        ctx.fail(f"{where} has no {id_field}", expected=f"a field {id_field}", received=show(document))
    return value


def key(value: Any) -> str:
    """A hashable form of a JSON value, so that ids of any JSON type can be compared."""
    return jsonlib.dumps(value, sort_keys=True)


# --- lists --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a list: its number (from 1), its URL, its items and its next link."""

    number: int
    url: str
    items: list[Any]
    next_url: str | None


async def pages(ctx: CheckContext, first: str, items_path: str, max_pages: int,
                limit: int | None = None) -> AsyncIterator[Page]:
    """Each page from `first` on, following `rel="next"` (RFC 8288 §3.3) until a page has none.

    `first` is a path from the root, under the check's base path, or a URL the server gave.
    `items_path` is the singular JSONPath of each page's array (`$` for a bare array). Fails when
    a page is not a 200 JSON page, holds more than `limit` items, is empty after the first page
    (the page before it held the last item, so it should have had no next link), when a next
    link leads back to a page already visited, or when there is still a next link after
    `max_pages`.
    """
    url: str | None = ctx.based(first)
    visited: set[str] = set()
    for number in range(1, max_pages + 1):
        assert url is not None
        response = await ctx.request("GET", url, based=False)
        ctx.expect(response.status == 200,
                   f"page {number} of the list (GET {url}) answered {response.status}",
                   expected="status 200", received=f"status {response.status}")
        items = value_at(ctx.json(response), items_path)
        where = "the list body" if items_path == "$" else f"the list's {items_path!r} field"
        if not isinstance(items, list):
            ctx.fail(f"page {number}: {where} is not a JSON array",
                     expected="an array of resources", received=show(items))
        if limit is not None:
            ctx.expect(len(items) <= limit, f"page {number} ({url}) holds {len(items)} items, "
                       f"more than the limit={limit} asked for",
                       expected=f"at most {limit} items", received=f"{len(items)} items")
        ctx.expect(number == 1 or bool(items), f"page {number} ({url}) is empty: page "
                   f"{number - 1} held the last item, so it should have had no rel=\"next\" link "
                   "(a client stops at the page without one). To know whether another page "
                   "follows, look one item ahead",
                   expected="no next link on the page that holds the last item",
                   received=f"page {number} empty")
        visited.add(response.url)
        url = next_link(response)
        yield Page(number, response.url, items, url)
        if url is None:
            return
        ctx.expect(url not in visited, f"page {number}'s rel=\"next\" link leads back to a page "
                   "already visited, so a client following it would loop forever",
                   expected="a link to a new page", received=f"next: {url}")
    ctx.fail(f"after {max_pages} pages there is still a rel=\"next\" link. Either the list "
             "never ends (the last page must have no next link, or a client never knows it has "
             "reached the end), or your server holds more data than this check walks: start it "
             "with an empty store and check again (a database or a file keeps its data across "
             "restarts: empty it, or point the server at a fresh one)",
             expected="a last page without rel=\"next\"", received=f"next: {url}")


async def walk(ctx: CheckContext, first: str, items_path: str, max_pages: int,
               limit: int | None = None) -> list[tuple[int, Any]]:
    """Every (page number, item) of the list from `first`, in order (see `pages`)."""
    return [(page.number, item) async for page in pages(ctx, first, items_path, max_pages, limit)
            for item in page.items]


# --- errors -------------------------------------------------------------------------------------


def expect_problem(ctx: CheckContext, response: Received, members: Sequence[str]) -> dict:
    """Fail unless `response` is an RFC 9457 problem details object with `members`.

    Content-Type application/problem+json, a JSON object, `status` equal to the HTTP status
    (§3.1.3) and every other member in `members` a string. Returns the object.
    """
    ctx.expect(response.media_type == PROBLEM_JSON, "the error is not sent as a problem details "
               "document", expected=f"Content-Type: {PROBLEM_JSON}",
               received=f"Content-Type: {response.headers.get('content-type', '(none)')}")
    document = ctx.json(response)
    if not isinstance(document, dict):
        ctx.fail("a problem details body is a JSON object", expected="a JSON object",
                 received=show(document))
    for member in members:
        value = document.get(member, MISSING)
        if member == "status":
            if not (value == response.status and type(value) is int):
                ctx.fail("the problem's status member is not the response's status code",
                         expected=f"\"status\": {response.status}",
                         received=f"status = {show(value)}")
        elif not isinstance(value, str):
            ctx.fail(f"the problem's {member} member is not a string",
                     expected=f"{member}: a string", received=f"{member} = {show(value)}")
    return document


def leaked_internals(text: str) -> tuple[str, str] | None:
    """(what, excerpt) for the first sign in `text` of the server's insides (a stack trace, a
    source file, a file system path), or None when it shows none (OWASP API8:2023)."""
    for what, pattern in TRACE_PATTERNS.items():
        found = re.search(pattern, text)
        if found:
            start = max(0, found.start() - 40)
            return what, "..." + text[start:found.end() + 40].strip() + "..."
    return None
