"""Lists, a page at a time: the `limit` and `cursor` query parameters, the envelope
`{"items": [...], "next_cursor": ...}` and the `Link: rel="next"` header (RFC 8288).

A cursor remembers the sort order and the last row of its page (its sort value and id), so the
next page starts right after that row even when rows are added or removed in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query, Request, Response

from httpkit.cursors import decode_cursor, encode_cursor, link_next
from httpkit.openapi import problem_responses

DEFAULT_LIMIT = 10
MAX_LIMIT = 100

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.")]
Cursor = Annotated[
    str | None,
    Query(description="Opaque: copy it from `next_cursor` or the `Link` header of a page of "
                      "this list, in the same sort order. Any other value is a 400."),
]
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One page of the list.",
        "headers": {"Link": {"description": 'The next page, as `<URL>; rel="next"` (RFC 8288); '
                                            "absent on the last page.",
                             "schema": {"type": "string"}}},
    },
    **problem_responses({
        400: "The cursor is not one this API issued for this list and sort order "
             "(`/problems/invalid-cursor`).",
        422: "A query parameter is invalid, e.g. `limit` over 100 or an unknown `sort` field.",
    }),
}


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: after the row whose sort column has `value` and id `row_id`."""

    value: Any
    row_id: int


def split_sort(sort: str) -> tuple[str, bool]:
    """ "-year" -> ("year", True): a leading minus sorts in descending order."""
    return sort.lstrip("-"), sort.startswith("-")


def page(
    request: Request,
    response: Response,
    *,
    collection: str,
    sort: str,
    limit: int,
    cursor: str | None,
    fetch: Callable[[str, bool, Keyset | None, int], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of `collection` as the list envelope, setting `Link: <next>; rel="next"` while
    there is more. `fetch(column, descending, after, n)` returns up to n rows in order."""
    column, descending = split_sort(sort)
    kind = f"{collection}?sort={sort}"
    after = None
    if cursor:
        position = decode_cursor(cursor, kind, {"v": (str, int, float), "id": int})
        after = Keyset(position["v"], position["id"])
    rows = fetch(column, descending, after, limit + 1)
    items, has_more = rows[:limit], len(rows) > limit
    next_cursor = None
    if has_more:
        next_cursor = encode_cursor(kind, {"v": items[-1][column], "id": items[-1]["id"]})
        link_next(request, response, cursor=next_cursor)
    return {"items": items, "next_cursor": next_cursor}
