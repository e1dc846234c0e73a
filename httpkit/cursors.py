"""Opaque pagination cursors and the RFC 8288 `Link: <...>; rel="next"` header.

A cursor is a small JSON object (where the previous page stopped) in URL-safe base64 without
padding: opaque to clients, who copy it from `next_cursor` or follow the Link header, and
cheap for the server to read back. `kind` names the list that issued it, so a cursor of one
list (or sort order) handed to another is refused instead of silently misread.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from httpkit.problems import ProblemException

_KIND = "k"
_INT64_MAX = 2**63 - 1


def encode_cursor(kind: str, position: dict[str, Any]) -> str:
    """A cursor for the list `kind` pointing at `position` (JSON-serialisable values)."""
    raw = json.dumps({_KIND: kind, **position}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, fields: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """The position a cursor of list `kind` points at, checked to hold each of `fields` with
    its type; a 400 `invalid-cursor` problem for anything this API did not issue."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise _invalid("it is not a cursor this API issued") from exc
    if not isinstance(data, dict):
        raise _invalid("it is not a cursor this API issued")
    if data.get(_KIND) != kind:
        issued_for = data.get(_KIND)
        reason = (f"it was issued for {issued_for}, not {kind}" if isinstance(issued_for, str)
                  else "it is not a cursor this API issued")
        raise _invalid(reason)
    position = {name: data.get(name) for name in fields}
    if not all(_fits(position[name], expected) for name, expected in fields.items()):
        raise _invalid("it is not a cursor this API issued")
    return position


def _fits(value: Any, expected: type | tuple[type, ...]) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    # no API here issues integers beyond 64 bits, which databases could not even compare
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _INT64_MAX:
        return False
    return isinstance(value, kinds)


def _invalid(reason: str) -> ProblemException:
    return ProblemException(400, f"the cursor cannot be used: {reason}. Start again without "
                            "one and follow next_cursor or the Link header", "invalid-cursor")


def link_next(request: Request, response: Response, **params: str | int) -> None:
    """Point `Link: <...>; rel="next"` at this request's URL with `params` replaced."""
    url = request.url.include_query_params(**params)
    response.headers["Link"] = f'<{url}>; rel="next"'
