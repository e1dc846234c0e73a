"""Representations with validators, and the one way this feature answers a read: 200, or 304
when the client's copy is current (RFC 9110 §13.2.2, evaluated by `httpkit.conditional`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request, Response

from httpkit.conditional import (
    NOT_MODIFIED,
    PRECONDITION_FAILED,
    PRECONDITION_REQUIRED,
    evaluate,
    http_date,
    make_etag,
)
from httpkit.problems import ProblemException


def encode(document: Any) -> bytes:
    """One fixed JSON encoding, so that the same data always gives the same bytes (and ETag)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Representation:
    """The exact bytes of a 200, and the headers that describe them.

    `cache_control` is the resource's caching policy; `vary` names the request headers that chose
    these bytes among others. Both go on the 304 too: a cache refreshes its copy with them.
    """

    body: bytes
    media_type: str
    cache_control: str
    last_modified: datetime | None = None
    vary: str | None = None
    content_encoding: str | None = None
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        # Strong: a hash of exactly the bytes sent, so every variant (CSV, gzip) has its own.
        object.__setattr__(self, "etag", make_etag(self.body))

    def validators(self) -> dict[str, str]:
        headers = {"ETag": self.etag, "Cache-Control": self.cache_control}
        if self.last_modified is not None:
            headers["Last-Modified"] = http_date(self.last_modified)
        if self.vary:
            headers["Vary"] = self.vary
        return headers


def answer(request: Request, current: Representation, status: int = 200) -> Response:
    """200 (or `status`) with the representation, or a 304 with its validators and no body."""
    outcome = evaluate(request.method, request.headers, etag=current.etag,
                       last_modified=current.last_modified)
    if outcome == NOT_MODIFIED:
        return Response(status_code=304, headers=current.validators())
    headers = current.validators()
    if current.content_encoding:
        headers["Content-Encoding"] = current.content_encoding
    return Response(current.body, status_code=status, media_type=current.media_type,
                    headers=headers)


def check_write(request: Request, current: Representation, *, required: bool) -> None:
    """Refuse a write whose preconditions fail (412), or that has none when `required` (428)."""
    outcome = evaluate(request.method, request.headers, etag=current.etag,
                       last_modified=current.last_modified, required=required)
    if outcome == PRECONDITION_REQUIRED:
        # No ETag here: a client that copied it into If-Match unread would defeat the purpose.
        raise ProblemException(428, "this resource only accepts conditional writes: GET it, then "
                               "send If-Match with the ETag you read")
    if outcome == PRECONDITION_FAILED:
        raise ProblemException(412, f"it changed since you read it: its ETag is now "
                               f"{current.etag}; GET it again and reapply your change",
                               headers={"ETag": current.etag})
