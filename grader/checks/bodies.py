"""Registered checks that a write's body is read only when it is JSON, and refused otherwise.

A server reads a body when its Content-Type says JSON, in any letter case and with or without
parameters, and refuses one labelled otherwise or not at all with 415 (RFC 9110 §8.3.1 and
§15.5.16); a body labelled JSON that does not parse, the empty one included, is a 400 that
reveals nothing of the server (RFC 9110 §15.5.1, OWASP API8:2023). A body refused either way
changes nothing, on every method that can carry it. Each check works on a collection of JSON
resources whose path, create body and list field are parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urljoin

from apilab.catalog.models import SingularJsonPath
from grader.checks.integrity import expect_unchanged, representation
from grader.checks.registry import check
from grader.context import CheckContext, with_query
from grader.http_helpers import create, leaked_internals, location_of, walk
from grader.matchers import show


@check("not-json-refused")
async def not_json_refused(
    ctx: CheckContext,
    *,
    collection: str,
    body: dict[str, Any],
    change: dict[str, Any] | None = None,
    methods: Sequence[str] = ("POST", "PUT", "PATCH"),
    media_types: Sequence[str] = ("text/plain",),
    json_types: Sequence[str] = (),
    count_query: dict[str, Any] | None = None,
    items_path: SingularJsonPath = "items",
    max_pages: int = 500,
) -> None:
    """A body that does not say it is JSON is refused with 415 by every write method, unread;
    one that says so in another letter case, or with parameters, is read.

    Proves RFC 9110 §15.5.16 (415: the content's format is not supported) for a lesson whose
    server reads a body only when its Content-Type says JSON: each method sends valid JSON (POST
    `body` to `collection`; PUT `body` with `change`, and PATCH `change`, to a resource created
    from `body`) once labelled as each of `media_types` and once with no Content-Type at all,
    which RFC 9110 §8.3 would let a server guess at and such a lesson refuses. Each must answer
    415; after each the resource is as before (GET), and after the POSTs the collection (listed
    with `count_query`) holds as many resources as at the start. Then each method sends its body
    labelled as each of `json_types`, other spellings of the JSON media type (RFC 9110 §8.3.1: a
    media type is case-insensitive and may carry parameters, as `application/json; charset=utf-8`
    does), and each must be accepted (2xx).
    """
    collection, body = ctx.fill(collection), ctx.fill(body)
    sent = {"POST": body, "PUT": {**body, **ctx.fill(change or {})}, "PATCH": ctx.fill(change or {})}
    url, before, first, count = await _write_targets(ctx, collection, body, methods, count_query,
                                                     items_path, max_pages)
    for method in methods:
        target = collection if method == "POST" else url
        for media_type in [*media_types, None]:
            label = f"Content-Type {media_type}" if media_type else "no Content-Type header"
            response = await ctx.request(method, target, body=json.dumps(sent[method]),
                                         headers={"Content-Type": media_type} if media_type else {})
            if response.status != 415:
                ctx.fail(f"{method} {target} with a valid JSON body and {label} answered "
                         f"{response.status}: {_not_json(media_type, response.status)}",
                         expected="status 415 Unsupported Media Type",
                         received=f"status {response.status} {response.reason}".rstrip())
            if before is not None and method != "POST":
                await expect_unchanged(ctx, url, before, f"{method} {target} with {label}")
    if count is not None:
        await _nothing_stored(ctx, first, items_path, max_pages, count, "answered 415: a body "
                              "refused for its Content-Type was stored anyway. Check Content-Type "
                              "before reading the body")
    for method in methods:
        target = collection if method == "POST" else url
        for media_type in json_types:
            response = await ctx.request(method, target, json_body=sent[method],
                                         headers={"Content-Type": media_type})
            ctx.expect(200 <= response.status < 300,
                       f"{method} {target} with a valid JSON body and Content-Type {media_type} "
                       f"answered {response.status}, but that Content-Type says JSON too: a media "
                       "type is case-insensitive and may carry parameters such as charset (RFC "
                       "9110 §8.3.1). Compare the part before any ';', lowercased, with "
                       "application/json",
                       expected="a 2xx status: the body is read as JSON",
                       received=f"status {response.status} {response.reason}".rstrip())


def _not_json(media_type: str | None, status: int) -> str:
    why = ("a body sent without Content-Type is refused with 415 too: the server reads a body only "
           "when it says it is JSON, and never guesses" if media_type is None else
           f"a body labelled {media_type} is refused with 415, even when it happens to be JSON")
    if status < 300:
        return f"the body was read as JSON all the same, but {why}"
    if status in (400, 422):
        return f"{why}; 415 says the format is the problem, where {status} blames the content"
    return why


@check("malformed-json-refused")
async def malformed_json_refused(
    ctx: CheckContext,
    *,
    collection: str,
    body: dict[str, Any],
    malformed: Sequence[str],
    methods: Sequence[str] = ("POST", "PUT", "PATCH"),
    statuses: Sequence[int] = (400,),
    count_query: dict[str, Any] | None = None,
    items_path: SingularJsonPath = "items",
    max_pages: int = 500,
) -> None:
    """A body labelled JSON that does not parse is refused by every write method as the client's
    mistake, shows nothing of the server's insides, and changes nothing.

    Proves RFC 9110 §15.5.1 (400: a malformed request) and OWASP API8:2023 (verbose errors): each
    text in `malformed` is sent as application/json by each method (POST to `collection`, PUT and
    PATCH to a resource created from `body`); the empty text may be among them, as RFC 8259 §2
    has no empty JSON text (it is no more `{}` than it is `null`). Each must answer one of
    `statuses` with no stack trace, source file name or file system path in its body; after each
    the resource is as before (GET), and after the POSTs the collection (listed with
    `count_query`) holds as many resources as at the start.
    """
    collection, body = ctx.fill(collection), ctx.fill(body)
    url, before, first, count = await _write_targets(ctx, collection, body, methods, count_query,
                                                     items_path, max_pages)
    for text in ctx.fill(list(malformed)):
        what = f"the malformed body {show(text)}" if text else "an empty body"
        for method in methods:
            target = collection if method == "POST" else url
            response = await ctx.request(method, target, body=text,
                                         headers={"Content-Type": "application/json"})
            if leak := leaked_internals(response.text):
                shows, excerpt = leak
                ctx.fail(f"{method} {target} with {what}: the error body shows {shows}: it tells "
                         "an attacker how your server is built",
                         expected="an error message without internals", received=excerpt)
            if response.status not in statuses:
                ctx.fail(f"{method} {target} with {what} and Content-Type application/json "
                         f"answered {response.status}: {_malformed(text, response.status)}",
                         expected="status " + " or ".join(map(str, statuses)),
                         received=f"status {response.status} {response.reason}".rstrip())
            if before is not None and method != "POST":
                await expect_unchanged(ctx, url, before, f"{method} {target} with {what}")
    if count is not None:
        await _nothing_stored(ctx, first, items_path, max_pages, count, "of malformed JSON: a "
                              "body that does not parse was stored anyway. Parse the body before "
                              "storing anything")


@check("not-utf8-answered")
async def not_utf8_answered(
    ctx: CheckContext,
    *,
    collection: str,
    body: dict[str, Any],
    field: str,
    refusals: Sequence[int] = (400, 422),
) -> None:
    """A body labelled JSON that holds no UTF-8 text is answered as the client's mistake, or read,
    never with a server error, nor with an error that shows the server's insides.

    Proves RFC 8259 §8.1 (JSON between systems is UTF-8) and §8.2 (a lone surrogate escape names
    no character), with RFC 9110 §15.6 (a 5xx says the server failed) and OWASP API8:2023. POST
    to `collection`, then PUT and PATCH to a resource created from `body`, send as
    application/json `body` with `field` holding "Café" in ISO-8859-1 (the byte E9, which no UTF-8
    text holds there: a client that forgot to encode); PUT and PATCH then send `field` as the
    escape `\\ud800` (JSON syntax, but half of a surrogate pair, which UTF-8 cannot carry). Each
    must answer one of `refusals`, or a 2xx: decoders that read bad bytes as U+FFFD, and parsers
    that keep a lone surrogate, are common and allowed. The resource is deleted afterwards, with
    what a POST stored, so that text a server cannot send back spoils no later check (a POST of
    the escape is not sent: what it stored could not be found to be deleted).
    """
    collection, body = ctx.fill(collection), ctx.fill(body)
    response, _document = await create(ctx, collection, body)
    url = location_of(ctx, response, f"POST {collection}")
    stored = [url]  # deleted at the end
    sendings = [("text in ISO-8859-1, not UTF-8", "Caf\u00e9", ("POST", "PUT", "PATCH")),
                ("the lone surrogate escape \\ud800", "\ud800", ("PUT", "PATCH"))]
    for what, text, methods in sendings:
        for method in methods:
            target = collection if method == "POST" else url
            sent = {field: text} if method == "PATCH" else {**body, field: text}
            # ASCII JSON, every other character escaped, so the only byte that is not UTF-8 is E9
            content = json.dumps(sent).encode("ascii").replace(b"\\u00e9", b"\xe9")
            response = await ctx.request(method, target, body=content,
                                         headers={"Content-Type": "application/json"})
            if method == "POST" and 200 <= response.status < 300 and "location" in response.headers:
                stored.append(urljoin(response.url, response.headers["location"]))
            if response.status >= 400 and (leak := leaked_internals(response.text)):
                shows, excerpt = leak
                ctx.fail(f"{method} {target} with {field} as {what}: the error body shows {shows}: "
                         "it tells an attacker how your server is built",
                         expected="an error message without internals", received=excerpt)
            ctx.expect(200 <= response.status < 300 or response.status in refusals,
                       f"{method} {target} with {field} as {what} answered {response.status}: "
                       f"{_not_utf8(what, response.status)}",
                       expected="status " + " or ".join(map(str, refusals))
                       + " (refused), or a 2xx (read)",
                       received=f"status {response.status} {response.reason}".rstrip())
    for changed in stored:
        await ctx.request("DELETE", changed, based=False)


def _not_utf8(what: str, status: int) -> str:
    latin1 = "ISO-8859-1" in what
    why = ("those bytes are not UTF-8, so the body is malformed JSON" if latin1 else
           "\\ud800 parses, but names no character, so no UTF-8 can carry it")
    if status < 500:
        return f"{why}: refuse it with 400 (or 422), or read it"
    fix = ("Decode and parse the body in the same try and answer 400 when either fails (Python's "
           "json.loads raises UnicodeDecodeError on such bytes, which is no JSONDecodeError)"
           if latin1 else
           "Refuse a string that does not encode as UTF-8 with 400 or 422 before storing it, or "
           "store it and send it back escaped")
    return f"a server error, where the mistake is the client's: {why}. {fix}"


async def _nothing_stored(ctx: CheckContext, first: str, items_path: SingularJsonPath, max_pages: int,
                          count: int, why: str) -> None:
    """The collection lists `count` resources, as before the refused POSTs (`why` ends the sentence
    "...than before the POSTs")."""
    after = len(await walk(ctx, first, items_path, max_pages))
    ctx.expect(after == count, f"the collection holds {after - count} more resources than before "
               f"the POSTs {why}", expected=f"{count} resources listed, as before",
               received=f"{after} listed")


def _malformed(text: str, status: int) -> str:
    why = ("an empty body is not JSON (RFC 8259: no JSON text is empty), so it is malformed JSON, "
           "not an empty object" if not text else "the body does not parse as JSON")
    if status < 300:
        return f"the server accepted it, but {why}: answer 400 and change nothing"
    if status == 422:
        return (f"{why}, and malformed JSON is 400: 422 says the JSON parsed and its content "
                "breaks the rules")
    if status >= 500:
        return f"{why}: that is the client's mistake, a 400, never a server error"
    return f"{why}: answer 400"


async def _write_targets(
    ctx: CheckContext, collection: str, body: dict[str, Any], methods: Sequence[str],
    count_query: dict[str, Any] | None, items_path: SingularJsonPath, max_pages: int,
) -> tuple[str, dict[str, Any] | None, str, int | None]:
    """What the write methods work on: the URL of a resource created from `body` and its
    representation (when PUT or PATCH is among `methods`, else `collection` and None), the first
    page of the list, and how many resources it lists (when POST is among them, else None)."""
    url, before, count = collection, None, None
    if any(method != "POST" for method in methods):
        response, _document = await create(ctx, collection, body)
        url = location_of(ctx, response, f"POST {collection}")
        with ctx.preparing(f"reading the resource it works on (GET {url})"):
            before = await representation(ctx, url)
    first = with_query(collection, count_query or {})
    if "POST" in methods:
        with ctx.preparing(f"counting the resources listed (GET {first})"):
            count = len(await walk(ctx, first, items_path, max_pages))
    return url, before, first, count
