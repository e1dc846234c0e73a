"""Registered checks of what a learner's server must refuse to take in (lesson 5): a body too
big to read (OWASP API4:2023), a URL that points the server at itself or its network (API7:2023,
server-side request forgery), and values outside what a field allows (API8:2023). Each judges
the refusal on the wire and that nothing was stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from grader.checks.auth import create_as
from grader.checks.integrity import expect_unchanged, representation
from grader.checks.registry import check
from grader.context import CheckContext
from grader.http_helpers import PROBLEM_MEMBERS, Requests, bearer, expect_problem, location_of
from grader.matchers import show, value_at


@check("body-too-large")
async def body_too_large(ctx: CheckContext, *, requests: Requests, size: int = 200_000,
                         limit: int | None = None, text_types: Sequence[str] = (),
                         create_in: str | None = None, owner: str | None = None,
                         body: dict[str, Any] | None = None) -> None:
    """A JSON body of `size` bytes gets 413 (RFC 9110 §15.5.14) as a problem, whatever it holds:
    the server stops reading instead of parsing and storing it. OWASP API4:2023. With
    `text_types`, each request is also sent with `size` bytes of text under each of these
    Content-Types, which a JSON parser skips: 413 all the same, since the limit is on the body,
    whatever its type. With `limit`, the largest body allowed, each request is then sent again
    with its own JSON padded with spaces (which JSON allows between tokens) to exactly `limit`
    bytes: any answer but 413, since only a body over the limit is too large. With `create_in`,
    `owner` first creates a resource from `body`, and `${target}` in a path names it, so that a
    route of one resource (a PATCH, say) is held to the limit too."""
    if create_in and owner:
        await create_as(ctx, owner, create_in, body)
    for request in requests:
        method, path = request["method"].upper(), ctx.fill(request["path"])
        headers = ctx.fill(request.get("headers", {}))
        padded = {**ctx.fill(request.get("json", {})), "padding": "x" * size}
        response = await ctx.request(method, path, json_body=padded, headers=headers)
        ctx.expect(response.status == 413, f"{method} {path} with a {size // 1000} kB body answered "
                   f"{response.status}", expected="status 413 Content Too Large",
                   received=f"status {response.status} {response.reason}")
        expect_problem(ctx, response, PROBLEM_MEMBERS)
        for content_type in text_types:
            await _too_large_as(ctx, method, path, headers, size, content_type)
        if limit is not None:
            await _at_the_limit(ctx, method, path, headers, ctx.fill(request.get("json", {})), limit)


async def _too_large_as(ctx: CheckContext, method: str, path: str, headers: dict[str, str],
                        size: int, content_type: str) -> None:
    response = await ctx.request(method, path, body=b"x" * size,
                                 headers={**headers, "Content-Type": content_type})
    ctx.expect(response.status == 413, f"{method} {path} with a {size // 1000} kB body sent as "
               f"{content_type} answered {response.status}: only JSON bodies are held to the limit. A "
               "limit left to the JSON parser holds only for the bodies it parses; one of another "
               "type passes it, to whatever reads it next. Refuse a body over the limit before "
               "any parser looks at it, whatever its Content-Type",
               expected="status 413 Content Too Large",
               received=f"status {response.status} {response.reason}")
    expect_problem(ctx, response, PROBLEM_MEMBERS)


async def _at_the_limit(ctx: CheckContext, method: str, path: str, headers: dict[str, str],
                        document: dict[str, Any], limit: int) -> None:
    text = json.dumps(document, ensure_ascii=False).encode()
    body = text[:-1] + b" " * (limit - len(text)) + b"}"  # spaces before the closing brace
    response = await ctx.request(method, path, body=body,
                                 headers={**headers, "Content-Type": "application/json"})
    ctx.expect(response.status != 413, f"{method} {path} with a valid JSON body of exactly {limit:,} "
               f"bytes ({show(document)} and spaces) answered 413: the limit refuses a body over "
               f"{limit:,} bytes, and this one is not over it: a client that keeps to the "
               "documented limit is refused",
               expected=f"any status but 413: {limit:,} bytes is allowed",
               received=f"status {response.status} {response.reason}")


@check("urls-refused")
async def urls_refused(ctx: CheckContext, *, account: str, urls: list[dict[str, str]],
                       path: str = "/webhooks", field: str = "url",
                       statuses: Sequence[int] = (422, 400)) -> None:
    """Each of `urls` (`url`, and `address`: what its host is), sent as `field` to `path` with
    `account`'s token, is refused with one of `statuses` and not stored: a GET of `path` lists
    none of them. OWASP API7:2023 (server-side request forgery): a URL the server will call must
    not reach an address that is not public, whichever reserved range it is in."""
    headers = bearer(ctx.fixtures[account]["access_token"])
    path, sent = ctx.fill(path), [ctx.fill(url) for url in urls]
    for url in sent:
        response = await ctx.request("POST", path, json_body={field: url["url"]}, headers=headers)
        ctx.expect(response.status in statuses, f"POST {path} with the URL {url['url']} answered "
                   f"{response.status}, yet {url['address']}: not a public address. The server "
                   "would send its requests there, inside networks an outsider cannot reach",
                   expected="status " + " or ".join(map(str, statuses)),
                   received=f"status {response.status} {response.reason}")
    listing = await ctx.request("GET", path, headers=headers)
    ctx.expect(listing.status == 200, f"GET {path} answered {listing.status}",
               expected="status 200", received=f"status {listing.status} {listing.reason}")
    items = value_at(ctx.json(listing), "$.items")
    stored = [item.get(field) for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    for url in sent:
        ctx.expect(url["url"] not in stored, f"POST {path} with the URL {url['url']} was refused, "
                   f"yet GET {path} lists it: a refused webhook is not stored ({url['address']})",
                   expected=f"no {url['url']} in items", received=f"items holds {url['url']}")


@check("values-refused")
async def values_refused(ctx: CheckContext, *, account: str, collection: str, body: dict[str, Any],
                         invalid: dict[str, list[Any]], rules: dict[str, str],
                         statuses: Sequence[int] = (422, 400)) -> None:
    """Each value listed under a field in `invalid`, sent with `account`'s token, is refused with
    one of `statuses` as a problem, and changes nothing: in a POST to `collection` (the rest of
    `body`, a valid one) it stores nothing, and in a PATCH of a resource made there from `body`
    (the field alone) it leaves the resource as it was. `rules` says each field's rule in the
    README's words. RFC 9110 §15.5.21: a value of the wrong type is refused like one out of
    range, on every method that writes the field (a fraction, a number in a string and a
    boolean are what lenient readers take)."""
    headers = bearer(ctx.fixtures[account]["access_token"])
    collection, body = ctx.fill(collection), ctx.fill(body)
    with ctx.preparing(f"creating the resource it works on (POST {collection})"):
        made = await ctx.request("POST", collection, json_body=body, headers=headers)
        ctx.expect(made.status == 201, f"POST {collection} with {show(body)} answered {made.status}",
                   expected="status 201", received=f"status {made.status} {made.reason}")
    url = location_of(ctx, made, f"POST {collection}")
    before, listed = await representation(ctx, url, headers), await _listed(ctx, collection, headers)
    for name, values in ctx.fill(invalid).items():
        for value in values:
            what = f"{name} = {show(value)}"
            for method, target, sent in (("POST", collection, {**body, name: value}),
                                         ("PATCH", url, {name: value})):
                response = await ctx.request(method, target, json_body=sent, headers=headers)
                if response.status not in statuses:
                    accepted = " (accepted)" if response.status < 300 else ""
                    ctx.fail(f"{method} {target} with {what} answered {response.status}{accepted}: "
                             f"{name} is {rules[name]}, and {show(value)} is not. A lenient reader "
                             "takes a fraction, a number in a string or a boolean as a number; "
                             "check the type as well as the range, on every method that writes "
                             f"{name}", expected="status " + " or ".join(map(str, statuses)) +
                             " (a problem)", received=f"status {response.status} {response.reason}")
                expect_problem(ctx, response, PROBLEM_MEMBERS)
            await expect_unchanged(ctx, url, before, f"PATCH {url} with {what}", headers)
            stored = [item for item in await _listed(ctx, collection, headers) if item not in listed]
            ctx.expect(not stored, f"POST {collection} with {what} was refused, yet GET {collection} "
                       "lists a new resource: a refused request stores nothing",
                       expected=f"the {len(listed)} listed before", received=show(stored[:1]))


async def _listed(ctx: CheckContext, collection: str, headers: dict[str, str]) -> list[Any]:
    items = value_at(await representation(ctx, collection, headers), "$.items")
    return items if isinstance(items, list) else []
