"""Conditional requests (RFC 9110 section 13): entity tags, their two comparisons, and the
preconditions If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since, evaluated in
the order of section 13.2.2.

    outcome = evaluate(method, headers, etag='"v7"', last_modified=when)
    if outcome == 304: answer Not Modified; if 412: refuse; else carry on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text (section 8.8.3)
_ENTITY_TAG = re.compile(r'\s*((?:W/)?"[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')

NOT_MODIFIED = 304
PRECONDITION_FAILED = 412
PRECONDITION_REQUIRED = 428
_PRECONDITIONS = ("if-match", "if-unmodified-since", "if-none-match")


def make_etag(representation: bytes, weak: bool = False) -> str:
    """A strong (or weak) entity tag that changes whenever `representation` does."""
    tag = f'"{hashlib.sha256(representation).hexdigest()[:32]}"'
    return f"W/{tag}" if weak else tag


def parse_tags(header: str) -> list[str] | None:
    """The entity tags of an If-Match or If-None-Match value, ["*"] for `*`, or None when the
    value is not a list of entity tags (and the condition is then ignored)."""
    value = header.strip()
    if value == "*":
        return ["*"]
    tags, position = [], 0
    while position < len(value):
        found = _ENTITY_TAG.match(value, position)
        if found is None or found.end() == position:
            return None
        tags.append(found.group(1))
        position = found.end()
    return tags or None


def strong_equal(a: str, b: str) -> bool:
    """Strong comparison (section 8.8.3.2): neither is weak and both are the same."""
    return not a.startswith("W/") and not b.startswith("W/") and a == b


def weak_equal(a: str, b: str) -> bool:
    """Weak comparison: the opaque tags are the same, weak or not."""
    return a.removeprefix("W/") == b.removeprefix("W/")


def match(header: str | None, etag: str | None) -> bool:
    """Whether If-Match lets the request through: no header, `*` with a current
    representation, or a tag equal to `etag` by strong comparison (section 13.1.1)."""
    if header is None:
        return True
    tags = parse_tags(header)
    if tags is None:
        return False
    if tags == ["*"]:
        return etag is not None
    return etag is not None and any(strong_equal(tag, etag) for tag in tags)


def none_match(header: str | None, etag: str | None) -> bool:
    """Whether If-None-Match names the current representation (so a GET answers 304): `*`
    with a current representation, or a tag equal to `etag` by weak comparison (13.1.2)."""
    if header is None or etag is None:
        return False
    tags = parse_tags(header)
    if tags is None:
        return False
    return tags == ["*"] or any(weak_equal(tag, etag) for tag in tags)


def http_date(moment: datetime) -> str:
    """`moment` as an IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date as an aware datetime; None when absent or invalid (section 13.1.3: an
    invalid date makes the recipient ignore the condition)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def evaluate(method: str, headers: Mapping[str, str], *, etag: str | None = None,
             last_modified: datetime | None = None, required: bool = False) -> int | None:
    """Evaluate the request's preconditions in the order of RFC 9110 section 13.2.2 against
    the target's current `etag` and `last_modified` (None when there is no representation).

    Returns 412 (a precondition failed), 304 (a GET or HEAD whose representation the client
    already has) or None (carry on with the request). `headers` is case-insensitive. With
    `required`, a request that would change the resource without any precondition is answered
    428 (RFC 6585 section 3): a server's way of refusing writes that could lose an update.
    """
    safe = method.upper() in ("GET", "HEAD")
    if required and not safe and not any(name in headers for name in _PRECONDITIONS):
        return PRECONDITION_REQUIRED
    modified = last_modified.replace(microsecond=0) if last_modified else None
    if_match = headers.get("if-match")
    if if_match is not None:  # step 1
        if not match(if_match, etag):
            return PRECONDITION_FAILED
    else:  # step 2: If-Unmodified-Since counts only without If-Match
        since = parse_http_date(headers.get("if-unmodified-since"))
        if since is not None and modified is not None and modified > since:
            return PRECONDITION_FAILED
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:  # step 3
        if none_match(if_none_match, etag):
            return NOT_MODIFIED if safe else PRECONDITION_FAILED
    elif safe:  # step 4: If-Modified-Since counts only without If-None-Match, on GET and HEAD
        since = parse_http_date(headers.get("if-modified-since"))
        if since is not None and modified is not None and modified <= since:
            return NOT_MODIFIED
    return None
