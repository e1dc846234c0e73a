"""Registered checks of entity tags (RFC 9110 §8.8.3): a strong ETag that changes with every
change of the representation and only then, a list's own ETag, and the weak form where it is
right. Requests are described as in `grader.checks.caching`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from grader.checks.caching import is_weak, prepare, read_etag, send, weak_tag_note
from grader.checks.registry import check
from grader.context import CheckContext
from grader.matchers import show
from grader.wire import Received

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text
ENTITY_TAG = re.compile(r'(W/)?"[\x21\x23-\x7e\x80-\xff]*"')


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
