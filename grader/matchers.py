"""Evaluate the `Matcher` rules of an exercise file against values read from a response."""

from __future__ import annotations

import json
import re
from typing import Any

from apilab.catalog.models import Matcher

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()

_JSON_TYPES = {
    "string": str, "boolean": bool, "array": list, "object": dict, "null": type(None),
}


def describe(matcher: Matcher) -> str:
    """The rule in words, for the report's `expected` line."""
    parts = []
    if matcher.equals is not None:
        parts.append(f"equal to {show(matcher.equals)}")
    if matcher.one_of is not None:
        parts.append("one of " + ", ".join(show(v) for v in matcher.one_of))
    if matcher.contains is not None:
        parts.append(f"containing {show(matcher.contains)}")
    if matcher.matches is not None:
        parts.append(f"matching /{matcher.matches}/")
    if matcher.present is not None:
        parts.append("present" if matcher.present else "absent")
    if matcher.type is not None:
        parts.append(f"of type {matcher.type}")
    if matcher.length is not None:
        parts.append(f"of length {matcher.length}")
    if matcher.min_length is not None:
        parts.append(f"of length at least {matcher.min_length}")
    return " and ".join(parts) or "anything"


def matches(matcher: Matcher, value: Any) -> bool:
    """True when `value` (MISSING when absent) follows every rule in `matcher`."""
    if matcher.present is not None and (value is not MISSING) != matcher.present:
        return False
    if value is MISSING:
        return matcher.present is False or _only_presence(matcher) and matcher.present is None
    checks = [
        matcher.equals is None or _equal(value, matcher.equals),
        matcher.one_of is None or any(_equal(value, v) for v in matcher.one_of),
        matcher.contains is None or (isinstance(value, str | list) and matcher.contains in value),
        matcher.matches is None or re.search(matcher.matches, _as_text(value)) is not None,
        matcher.type is None or is_json_type(value, matcher.type),
        matcher.length is None or (_sized(value) and len(value) == matcher.length),
        matcher.min_length is None or (_sized(value) and len(value) >= matcher.min_length),
    ]
    return all(checks)


def is_json_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _JSON_TYPES[name])


def json_path(document: Any, path: str) -> Any:
    """Resolve `$.items[0].id` (the `$.` is optional); MISSING when any part is absent."""
    value = document
    for key, index in re.findall(r"([^.\[\]]+)|\[(-?\d+)\]", path.removeprefix("$").lstrip(".")):
        if key:
            if not isinstance(value, dict) or key not in value:
                return MISSING
            value = value[key]
        else:
            if not isinstance(value, list) or not -len(value) <= int(index) < len(value):
                return MISSING
            value = value[int(index)]
    return value


def show(value: Any) -> str:
    """A value as the learner would see it in JSON."""
    if value is MISSING:
        return "nothing (absent)"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _equal(value: Any, expected: Any) -> bool:
    # JSON has one number type: 3 and 3.0 are the same value; True is not 1.
    if isinstance(value, bool) or isinstance(expected, bool):
        return type(value) is type(expected) and value == expected
    return value == expected


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _sized(value: Any) -> bool:
    return isinstance(value, str | list | dict)


def _only_presence(matcher: Matcher) -> bool:
    return all(
        getattr(matcher, name) is None
        for name in ("equals", "one_of", "contains", "matches", "type", "length", "min_length")
    )
