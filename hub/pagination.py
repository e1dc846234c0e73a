"""Keyset pagination for lists that are newest first: opaque cursors and the RFC 8288 Link.

A cursor remembers the sequence number of the last item of a page; the next page starts below
it, so items added meanwhile never shift a page or appear twice.
"""

from __future__ import annotations

import base64
import binascii
import json

from fastapi import Request, Response

from hub.problems import ProblemException


def encode_cursor(seq: int) -> str:
    raw = json.dumps({"before": seq}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        seq = data["before"]
        if not isinstance(seq, int):
            raise TypeError(seq)
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ProblemException(400, "the cursor is not one this hub issued; start without one "
                               "and follow next_cursor or the Link header",
                               "invalid-cursor") from exc
    return seq


def link_next(request: Request, response: Response, **params: str | int) -> None:
    """Point `Link: <...>; rel="next"` at this request's URL with `params` replaced."""
    url = request.url.include_query_params(**params)
    response.headers["Link"] = f'<{url}>; rel="next"'
