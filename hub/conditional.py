"""Conditional requests (RFC 9110 section 13): If-None-Match for reads, If-Match for writes."""

from __future__ import annotations


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def none_match(header: str | None, etag: str) -> bool:
    """True when If-None-Match names the current representation, so the answer is 304.
    Weak comparison, as section 13.1.2 requires: W/"x" matches "x"."""
    if header is None:
        return False
    tags = _tags(header)
    return "*" in tags or _opaque(etag) in {_opaque(tag) for tag in tags}


def match(header: str | None, etag: str) -> bool:
    """True when If-Match allows the write (no header, `*`, or the current tag). Strong
    comparison, as section 13.1.1 requires: a weak tag never matches."""
    if header is None:
        return True
    tags = _tags(header)
    return "*" in tags or etag in tags
