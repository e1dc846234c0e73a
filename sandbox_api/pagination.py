"""Cursor pagination: opaque cursors, the list envelope, and the RFC 8288 Link header.

A cursor remembers the sort order and the last row of the page (its sort value and id),
so the next page starts right after it even when rows are added or removed in between.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response

from sandbox_api.db import BookshopDB, Filter, Keyset
from sandbox_api.problems import ProblemException

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def encode_cursor(sort: str, row: dict[str, Any], sort_column: str) -> str:
    raw = json.dumps({"s": sort, "v": row[sort_column], "id": row["id"]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> Keyset:
    """The position a cursor points at; a 400 problem when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        keyset = Keyset(value=data["v"], row_id=int(data["id"]))
        cursor_sort = data["s"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ProblemException(
            400,
            "the cursor is not one this API issued; use next_cursor or the Link header",
            "invalid-cursor",
        ) from exc
    if cursor_sort != sort:
        raise ProblemException(
            400, f"this cursor belongs to sort={cursor_sort}, not sort={sort}", "invalid-cursor"
        )
    return keyset


def split_sort(sort: str) -> tuple[str, bool]:
    """ "-year" -> ("year", True): a leading minus sorts in descending order."""
    return sort.lstrip("-"), sort.startswith("-")


def list_page(
    db: BookshopDB,
    table: str,
    request: Request,
    response: Response,
    *,
    filters: list[Filter],
    sort: str,
    limit: int,
    cursor: str | None,
    to_public: Callable[[dict[str, Any]], Any],
) -> dict[str, Any]:
    """One page of `table` as the list envelope {"items": [...], "next_cursor": ...},
    setting `Link: <next page URL>; rel="next"` when there is a next page."""
    column, descending = split_sort(sort)
    after = decode_cursor(cursor, sort) if cursor else None
    rows = db.list(table, filters, column, descending, after, limit + 1)
    page, has_more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(sort, page[-1], column) if has_more else None
    if next_cursor:
        next_url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return {"items": [to_public(r) for r in page], "next_cursor": next_cursor}
