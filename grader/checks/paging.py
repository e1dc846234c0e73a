"""Registered checks for paginated lists under the conditions real clients meet.

A client pages through a list while other clients change it, and it stops at the first page
without a next link. The walk itself (every page sized, linked and visited once) is checked by
`pagination-walk` in `rest`; these checks add what a fixed list hides: a cursor that survives a
delete, and a last page that knows it is the last.
"""

from __future__ import annotations

from typing import Any

from apilab.catalog.models import SingularJsonPath
from grader.checks.registry import check
from grader.context import CheckContext, CheckFailed, with_query
from grader.http_helpers import create, id_of, key, location_of, pages, walk
from grader.matchers import show


@check("pagination-under-changes")
async def pagination_under_changes(
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
    """A walk during which a resource is deleted and another added still lists every other
    resource exactly once.

    Proves that the next link leads to the rest of the same list (RFC 8288 §3.3) while it
    changes: creates `count` resources (`${n}` in `body` numbers them), then follows rel="next"
    from `?limit=N`. Right after the first page that lists some of them, it deletes the last of
    them on that page (the client has seen it, and it is the book a cursor naming "the last one
    on the page" names) and creates another, then walks on. Every resource created before the
    walk and not deleted must be listed exactly once, and none twice: a cursor that counts
    positions (`offset = page × limit`) skips a resource after the delete, and one that must
    still name an existing resource leads to an error page.
    """
    collection = ctx.fill(collection)
    ours = {}
    for n in range(1, count + 1):
        ctx.vars["n"] = n
        response, document = await create(ctx, collection, body)
        ours[key(id_of(ctx, document, id_field, f"the created resource #{n}"))] = (
            location_of(ctx, response, f"POST {collection}"))
    first = with_query(collection, {**(query or {}), "limit": limit})
    seen: dict[str, int] = {}
    change: tuple[str, int] | None = None  # what was deleted, and after which page
    try:
        async for page in pages(ctx, first, items_path, max_pages, limit):
            on_page = []
            for item in page.items:
                item_id = key(id_of(ctx, item, id_field, f"an item on page {page.number}"))
                if item_id in seen:
                    ctx.fail(f"{id_field} {item_id} is on page {seen[item_id]} and again on page "
                             f"{page.number}" + (_after(change) + ": a cursor that counts positions "
                             "shifts when the list changes; make it name the last resource of the "
                             "page (its id, say)" if change else ": pages must not overlap"),
                             expected="each resource listed once", received=show(item))
                seen[item_id] = page.number
                on_page.append(item_id)
            if change is None and (listed := [i for i in on_page if i in ours]):
                # The last one the page lists: the resource a cursor of "the last id" names.
                change = (listed[-1], page.number)
                await _delete_and_add(ctx, ours.pop(listed[-1]), collection, body, count)
    except CheckFailed as failure:
        if change is None or failure.setup or "answered" not in failure.message:
            raise
        # The page after the delete is an error: the cursor named the deleted resource.
        failure.message += (_after(change) + ". The cursor may name a resource that is deleted "
                            "while a client pages: start the next page after the place it names "
                            "(ids greater than it, say) rather than looking that resource up")
        raise
    missing = [item_id for item_id in ours if item_id not in seen]
    ctx.expect(not missing, f"following rel=\"next\" from {first} never listed {id_field} "
               f"{', '.join(missing)}, which still exists" + _after(change) + ": the page after the "
               "delete started too late. A cursor that counts positions (offset = page × limit) "
               "skips a resource when an earlier one is deleted; make the cursor name the last "
               "resource of the page (its id, say) instead",
               expected="every remaining resource listed once",
               received=f"never listed: {', '.join(missing)}")


def _after(change: tuple[str, int] | None) -> str:
    if change is None:
        return ""
    deleted, page = change
    return f" (after the resource {deleted}, listed on page {page}, was deleted and another created)"


async def _delete_and_add(ctx: CheckContext, url: str, collection: str, body: Any, count: int) -> None:
    with ctx.preparing(f"changing the list during the walk (DELETE {url}, then POST {collection})"):
        response = await ctx.request("DELETE", url)
        ctx.expect(response.status in (200, 204), f"DELETE {url} answered {response.status}",
                   expected="status 204", received=f"status {response.status}")
        ctx.vars["n"] = count + 1
        await create(ctx, collection, body)


@check("last-page-no-next")
async def last_page_no_next(
    ctx: CheckContext,
    *,
    collection: str,
    body: Any,
    query: dict[str, Any] | None = None,
    max_limit: int = 100,
    items_path: SingularJsonPath = "items",
    max_pages: int = 500,
) -> None:
    """The page that holds the last resource has no next link, even when it is full.

    Proves the lesson's reading of RFC 8288 §3.3: a client follows rel="next" until a page has
    none, so the page holding the last resource has none, and a next link never leads to an
    empty page. Creates a resource from `body`, counts the list (pages of `max_limit`), then walks
    it with a `limit` that divides the count (adding a few resources first when no divisor makes
    few pages), so that the last page is full: a server that links every full page to a next
    one sends an empty page there.
    """
    collection = ctx.fill(collection)
    await create(ctx, collection, body)
    # Counting walks the list too, so a next link to an empty page may already show here.
    total = len(await walk(ctx, with_query(collection, {**(query or {}), "limit": max_limit}),
                           items_path, max_pages, max_limit))
    limit, more = _page_size(total, max_limit)
    for _ in range(more):  # a count with no fitting divisor is topped up first
        await create(ctx, collection, body)
    total += more
    first = with_query(collection, {**(query or {}), "limit": limit})
    walked = [page async for page in pages(ctx, first, items_path, max_pages, limit)]
    listed = sum(len(page.items) for page in walked)
    ctx.expect(listed == total, f"the walk from {first} listed {listed} resources where the list "
               f"held {total} a moment before", expected=f"{total} resources",
               received=f"{listed} in {len(walked)} pages")


def _page_size(total: int, at_most: int) -> tuple[int, int]:
    """(limit, resources to add) so that the pages of `limit` come out full, for the fewest
    requests: one POST per resource added and one GET per page."""
    def cost(limit: int) -> tuple[int, int]:
        more = -total % limit
        return more + (total + more) // limit, -limit

    limit = min(range(1, min(total, at_most) + 1), key=cost)
    return limit, -total % limit
