"""Registered checks of what a server keeps its own in a collection: the members a client's body
cannot set (the name a resource's URL gives it, the revision the server counts), and the order
of the list. Requests a check sends on its own behalf are tables as in `grader.checks.caching`,
whose helpers it shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grader.checks.caching import prepare, read_etag, send
from grader.checks.registry import check
from grader.context import CheckContext
from grader.matchers import MISSING, show, value_at


@check("server-owned-members")
async def server_owned_members(
    ctx: CheckContext,
    *,
    path: str,
    collection: str,
    changes: list[dict[str, Any]],
    create: dict[str, Any] | None = None,
    name: str = "slug",
    counter: str = "revision",
    items_path: str = "items",
) -> None:
    """Writes whose body sets the members the server owns leave them the server's: the resource
    keeps the `name` its URL gives it, and its `counter` goes up by one per write, whatever the
    body says.

    Proves the lesson policy that the slug comes from the URL and the revision from the server
    (RFC 9110 §9.3.4: a PUT's target is its URL; OWASP API3:2023, mass assignment). Each of
    `changes`, sent with `${etag}` the current ETag, must be a 2xx whose answer has the old name
    and the next counter; a GET of `path` then shows the same, the collection's item of that
    name shows the same counter, and no item has the name the body sent.
    """
    await prepare(ctx, create, (200, 201))
    path, collection = ctx.fill(path), ctx.fill(collection)
    page = ctx.json(await read_etag(ctx, path))
    own = {name: _member(ctx, page, name, f"GET {path}"), counter: _member(ctx, page, counter, f"GET {path}")}
    ctx.expect(type(own[counter]) is int, f"GET {path} has a {counter} that is not a whole number",
               expected=f"{counter}: an integer", received=f"{counter}: {show(own[counter])}")
    for change in changes:
        sent = ctx.fill(change)
        body = sent.get("json", {})
        label = (f"{sent.get('method', 'GET').upper()} {path} with "
                 f"{', '.join(f'{key}: {show(body[key])}' for key in (name, counter) if key in body)} "
                 "in its body")
        changed = await send(ctx, change, path)
        ctx.expect(200 <= changed.status < 300, f"{label} answered {changed.status}: the server "
                   f"ignores {name} and {counter} in a request body, so the change goes ahead",
                   expected="status 200", received=f"status {changed.status} {changed.reason}")
        own[counter] += 1
        _owned(ctx, ctx.json(changed), own, f"{label}: its answer", name, counter)
        _owned(ctx, ctx.json(await read_etag(ctx, path)), own, f"{label}: GET {path} right after",
               name, counter)
        listed = await ctx.request("GET", collection)
        ctx.expect(listed.status == 200, f"GET {collection} answered {listed.status}",
                   expected="status 200", received=f"status {listed.status} {listed.reason}")
        items = value_at(ctx.json(listed), items_path)
        items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        mine = [item for item in items if item.get(name) == own[name]]
        ctx.expect(len(mine) == 1, f"{label}: GET {collection} right after lists "
                   f"{len(mine)} items with {name} {show(own[name])}, the page's own",
                   expected=f"one item with {name}: {show(own[name])}",
                   received=f"{len(mine)} such items among {len(items)}")
        _owned(ctx, mine[0], own, f"{label}: its item in GET {collection} right after", name, counter)
        if name in body and body[name] != own[name]:
            for item in (item for item in items if item.get(name) == body[name]):
                ctx.fail(f"{label}: GET {collection} right after lists a page named "
                         f"{show(body[name])}, the {name} the body sent; the {name} of a page is "
                         "its URL's, and a body cannot rename or copy it",
                         expected=f"no item with {name}: {show(body[name])}", received=show(item))


def _member(ctx: CheckContext, document: Any, name: str, where: str) -> Any:
    value = document.get(name, MISSING) if isinstance(document, dict) else MISSING
    ctx.expect(value is not MISSING, f"{where} has no {name}", expected=f"a {name} member",
               received=show(document))
    return value


def _owned(ctx: CheckContext, document: Any, own: dict[str, Any], where: str, name: str,
           counter: str) -> None:
    """Fail unless `document` shows the `own` values of the members the server owns."""
    for key, value in own.items():
        shown = document.get(key, MISSING) if isinstance(document, dict) else MISSING
        ctx.expect(shown == value, f"{where} shows {key} {show(shown)}: the server ignores {name} "
                   f"and {counter} in a request body (the {name} comes from the URL, the {counter} "
                   f"from the server, one more per change), so an editor who sends back the page "
                   f"it read cannot rename it or set its {counter}",
                   expected=f"{key}: {show(value)}", received=f"{key}: {show(shown)}")


@check("list-sorted")
async def list_sorted(
    ctx: CheckContext,
    *,
    collection: str,
    member: str,
    create: dict[str, Any],
    names: Sequence[str],
    key: str = "slug",
    items_path: str = "items",
) -> None:
    """The whole list is in order of `key`, compared character by character (by code point,
    which for ASCII is the order of the bytes), whatever order its members were created in.

    Creates a member at `member` for each of `names`, in that order (`${n}` is the name), which
    is not their sorted order; its `key` is the last segment of that path. Then the list must
    hold them, and each of its items must sort no later than the next. Proves the lesson's
    contract (README: the list is sorted by slug).
    """
    created = []
    for n in names:
        ctx.vars["n"] = n
        await prepare(ctx, {**create, "path": member}, (200, 201))
        created.append(ctx.fill(member).rsplit("/", 1)[-1])
    collection = ctx.fill(collection)
    response = await ctx.request("GET", collection)
    ctx.expect(response.status == 200, f"GET {collection} answered {response.status}",
               expected="status 200", received=f"status {response.status} {response.reason}")
    items = value_at(ctx.json(response), items_path)
    ctx.expect(isinstance(items, list), f"GET {collection} has no list of items at {items_path}",
               expected=f"{items_path}: a list", received=show(items))
    keys = [item.get(key) if isinstance(item, dict) else None for item in items]
    missing = [n for n in created if n not in keys]
    ctx.expect(not missing, f"GET {collection} does not list the pages this check just created",
               expected=f"items with {key} {', '.join(map(show, created))}",
               received=f"none with {key} {', '.join(map(show, missing))}")
    ours = [k for k in keys if k in created]
    # This check's own pages first: out of order, they show the mistake most plainly.
    for first, then in [*zip(ours, ours[1:], strict=False), *zip(keys, keys[1:], strict=False)]:
        if isinstance(first, str) and isinstance(then, str) and first <= then:
            continue
        ctx.fail(f"GET {collection} lists {key} {show(first)} before {show(then)}, though the list "
                 f"is sorted by {key}, character by character: a client shows it as it comes, and "
                 f"finds a page in it by its {key}. This check created "
                 f"{', '.join(map(show, created))} in that order; the list must not keep the order "
                 "of creation",
                 expected=f"every item's {key} in sorted order (-, then digits, then letters): "
                 f"{', '.join(map(show, sorted(created)))} among them",
                 received=f"{show(then)} after {show(first)}; this check's pages listed as "
                 f"{', '.join(map(show, ours))}")
