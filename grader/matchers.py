"""Evaluate the `Matcher` rules of an exercise file against values read from a response.

A JSON path is an RFC 9535 query, so it may select several values (nodes), or none. The rule
for a path that selects several (`$.items[*].password`, `$..id`) is the one that cannot pass by
accident:

- `present = false`: the path selects nothing at all. `$.items[*].password` absent means no
  item has a password; one item holding one fails, naming that item.
- `present = true`: the path selects at least one value.
- any other rule (`equals`, `one_of`, `contains`, `matches`, `type`, `length`, `min_length`):
  the path selects at least one value, and every value it selects follows the rule. A wildcard
  over an empty list does not pass a rule vacuously.
- no rule at all (`{}`): anything, even nothing.

"Every item has a field" is said with a filter: `"$.items[?!@.title]" = { present = false }`
(no item lacks a title). For a singular path (names and indexes only, such as `$.items[0].id`)
these rules are the familiar ones: the one value, or its absence.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apilab.catalog.models import Matcher, compile_json_path

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


@dataclass(frozen=True)
class Node:
    """One value a JSON path selected, and where: its normalized path (RFC 9535 §2.7)."""

    location: str
    value: Any


def select(document: Any, path: str) -> list[Node]:
    """Every value `path` (an RFC 9535 query; `id` is short for `$.id`) selects in `document`."""
    return [Node(node.path(), node.value) for node in compile_json_path(path).finditer(document)]


def value_at(document: Any, path: str) -> Any:
    """The value a singular path selects in `document`, or MISSING when it selects nothing."""
    nodes = select(document, path)
    return nodes[0].value if nodes else MISSING


def filled(matcher: Matcher, fill: Callable[[Any], Any]) -> Matcher:
    """`matcher` with the placeholders of its expected values filled in."""
    return matcher.model_copy(update={"equals": fill(matcher.equals), "one_of": fill(matcher.one_of)})


def nodes_mismatch(matcher: Matcher, path: str, document: Any) -> str | None:
    """None when what `path` selects in `document` follows `matcher` (see the module's rule);
    otherwise what was received, naming the value that broke the rule."""
    nodes = select(document, path)
    if matcher.present is False:
        return None if not nodes else _received(path, nodes[0])
    if not nodes:
        return None if _only_presence(matcher) and matcher.present is None else f"{path} = {show(MISSING)}"
    for node in nodes:
        if not matches(matcher, node.value):
            return _received(path, node)
    return None


def expectation(matcher: Matcher, path: str) -> str:
    """The rule for `path` in words, for the report's `expected` line."""
    several = not compile_json_path(path).singular_query()
    if several and matcher.present is None and not _only_presence(matcher):
        return f"every {path} {describe(matcher)} (and at least one)"
    if several and matcher.present is False:
        return f"{path} absent everywhere"
    return f"{path} {describe(matcher)}"


def _received(path: str, node: Node) -> str:
    # A singular path is shown as the author wrote it; a wildcard names the value that broke it.
    where = path if compile_json_path(path).singular_query() else node.location
    return f"{where} = {show(node.value)}"


def show(value: Any) -> str:
    """A value as the learner would see it in JSON."""
    if value is MISSING:
        return "nothing (absent)"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def text_change(sent: Any, received: Any) -> str | None:
    """What happened to text that came back changed, when it is a mistake with a name: read with
    the wrong charset, replaced characters, split emoji, another normalization form, white space
    trimmed. None when the values are not two different strings or the change is not one of these."""
    if not isinstance(sent, str) or not isinstance(received, str) or sent == received:
        return None
    for charset in ("latin-1", "cp1252"):
        wrongly = sent.encode("utf-8").decode(charset, errors="replace")
        if received in (wrongly, wrongly.encode("utf-8").decode(charset, errors="replace")):
            return (f"the UTF-8 text was read as {charset.title()}, so each non-ASCII character "
                    "came back as several: decode request bodies as UTF-8 (RFC 8259 §8.1)")
    if any("\ud800" <= c <= "\udfff" for c in received):
        return ("characters beyond U+FFFF (emoji) came back as two halves of a UTF-16 surrogate "
                "pair: encode the text as UTF-8 characters, not UTF-16 units")
    if "\ufffd" in received or (received.count("?") > sent.count("?")):
        return ("some characters were replaced (by ? or U+FFFD): somewhere the text was encoded "
                "in a charset that cannot hold them; use UTF-8 end to end")
    if unicodedata.normalize("NFC", received) == unicodedata.normalize("NFC", sent):
        return "the text came back in another Unicode normalization form: store it exactly as sent"
    if received.strip() == sent.strip():
        return ("the spaces or tabs at its start or end were removed or changed: store text exactly "
                "as sent, never trim it")
    return None


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
