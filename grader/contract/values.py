"""Values for the probes, drawn by Hypothesis from JSON Schemas: valid ones across a schema (its
edges included), and, for each field, values that break its schema in each way it can be broken.

Every edge and every violation is itself written as a schema ("a string of exactly 500
characters", "an integer below 1", "anything but these three strings"), and
`strategies.from_schema` turns each into a Hypothesis strategy: the values are drawn from the
run's seed and shrink toward the simplest one that still shows a failure. Nothing here picks
values itself.

Two choices the contracts leave open are never probed: a whole number spelled as a float (`3.0`
is an integer to JSON Schema, not to every JSON reader), and members the schema does not name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from grader.contract.strategies import characters, from_schema

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "<absent>"})()
JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
# Small stand-ins for "a value of another JSON type": what matters is the type, not the size.
_SCALAR = {"type": ["string", "integer", "boolean", "null"], "maxLength": 8}
_OF_TYPE = {
    "null": {"type": "null"},
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "number": {"type": "number", "not": {"type": "integer"}},  # 1.5, never 2.0
    "string": {"type": "string", "maxLength": 12},
    "array": {"type": "array", "maxItems": 2, "items": _SCALAR},
    "object": {"type": "object", "maxProperties": 2, "additionalProperties": _SCALAR},
}


@dataclass(frozen=True)
class Variant:
    """One way to fill a field: a rule it follows or breaks, and the values that do so."""

    field: str
    rule: str  # in words, naming the schema keyword: "maxLength 500", "type integer or null"
    values: st.SearchStrategy[Any]  # ABSENT means: leave the field out


def types_of(schema: dict[str, Any]) -> set[str]:
    """The JSON types `schema` admits (every type when it says none)."""
    declared = schema.get("type")
    if declared is None:
        if "enum" in schema:
            return {_type_of(value) for value in schema["enum"]}
        return set(JSON_TYPES)
    return {declared} if isinstance(declared, str) else set(declared)


def valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values `schema` admits, objects without members it does not name, whole numbers as
    integers."""
    return from_schema(closed(schema))


def closed(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with `additionalProperties: false` on every object schema that leaves it open."""
    if not isinstance(schema, dict):
        return schema
    result = {key: closed(value) if isinstance(value, dict) else value for key, value in schema.items()}
    if "properties" in schema:
        result["properties"] = {name: closed(sub) for name, sub in schema["properties"].items()}
        result.setdefault("additionalProperties", False)
    if isinstance(schema.get("items"), dict):
        result["items"] = closed(schema["items"])
    return result


def edges(name: str, schema: dict[str, Any], required: bool) -> Iterator[Variant]:
    """Valid values of field `name` at the edges of `schema`: each length and bound reached,
    each enum value, null where allowed, left out where optional, text beyond ASCII."""
    if not required:
        yield Variant(name, "left out (optional)", st.just(ABSENT))
    kinds = types_of(schema)
    if "null" in kinds:
        yield Variant(name, "null", st.just(None))
    for value in schema.get("enum", []):
        yield Variant(name, f"the value {json.dumps(value)}", st.just(value))
    if "enum" in schema:
        return
    if kinds & {"integer", "number"}:
        for keyword in ("minimum", "maximum"):
            if keyword in schema:
                yield Variant(name, f"{keyword} {schema[keyword]}", st.just(schema[keyword]))
    if "string" in kinds:
        text = {**_only(schema, "string")}
        for keyword in ("minLength", "maxLength"):
            if keyword in schema and schema[keyword] > 0:
                size = schema[keyword]
                yield Variant(name, f"{keyword} {size}",
                              valid({**text, "minLength": size, "maxLength": size}))
        if not {"pattern", "format"} & set(schema):
            longest = min(schema.get("maxLength", 40), 40)
            least = min(schema.get("minLength", 1), longest)
            yield Variant(name, "text beyond ASCII (accents, CJK, emoji, controls)",
                          st.text(characters(0x80),
                                  min_size=max(least, 1), max_size=max(longest, 1)))
    if "array" in kinds:
        listed = _only(schema, "array")
        for keyword in ("minItems", "maxItems"):
            if keyword in schema:
                size = schema[keyword]
                yield Variant(name, f"{keyword} {size}",
                              valid({**listed, "minItems": size, "maxItems": size}))


def violations(name: str, schema: dict[str, Any], required: bool) -> Iterator[Variant]:
    """Values that break the schema of field `name`, one rule at a time: each JSON type it does
    not admit (null included), numbers out of range or not whole, strings too short, too long,
    off-pattern or outside the enum, arrays of the wrong size or with a bad item, and, for a
    required field, its absence."""
    if required:
        yield Variant(name, "required", st.just(ABSENT))
    kinds = types_of(schema)
    admitted = " or ".join(sorted(kinds))
    for kind in JSON_TYPES:
        if kind in kinds or (kind == "integer" and "number" in kinds):
            continue
        label = "a number with a fraction" if kind == "number" and "integer" in kinds else kind
        if kind == "string" and kinds & {"integer", "number"}:
            # A number the field admits, sent as a string: the classic lax-parsing bug ("300"
            # stored as 300), which only an admitted number shows.
            number = _only(schema, "number" if "number" in kinds else "integer")
            sample = valid(number).map(json.dumps)
        elif kind == "number" and _has_fractions(schema):
            # A fraction inside the field's bounds (2.5 for 1 to 100): one outside them is refused
            # for its range by a server that never looks at the type.
            sample = valid({**_only(schema, "number"), "not": {"type": "integer"}})
        else:
            sample = valid(_OF_TYPE[kind])
        yield Variant(name, f"type {admitted} (sent {label})", sample)
    yield from _range_violations(name, schema, kinds)
    if "string" in kinds:
        yield from _text_violations(name, schema)
    if "array" in kinds:
        yield from _array_violations(name, schema)


def _range_violations(name: str, schema: dict[str, Any], kinds: set[str]) -> Iterator[Variant]:
    if not kinds & {"integer", "number"}:
        return
    whole = "number" not in kinds
    kind = "integer" if whole else "number"
    if "minimum" in schema:
        low = schema["minimum"]
        yield Variant(name, f"minimum {low}", valid({"type": kind, "exclusiveMaximum": low}))
    if "maximum" in schema:
        high = schema["maximum"]
        yield Variant(name, f"maximum {high}", valid({"type": kind, "exclusiveMinimum": high}))
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"]
        yield Variant(name, f"exclusiveMinimum {low}", valid({"type": kind, "maximum": low}))
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"]
        yield Variant(name, f"exclusiveMaximum {high}", valid({"type": kind, "minimum": high}))


def _text_violations(name: str, schema: dict[str, Any]) -> Iterator[Variant]:
    if schema.get("minLength", 0) > 0:
        shortest = schema["minLength"]
        yield Variant(name, f"minLength {shortest}", valid({"type": "string", "maxLength": shortest - 1}))
    if "maxLength" in schema:
        longest = schema["maxLength"]
        yield Variant(name, f"maxLength {longest}",
                      valid({"type": "string", "minLength": longest + 1, "maxLength": longest + 64}))
    if "pattern" in schema:
        yield Variant(name, f"pattern {schema['pattern']}",
                      valid({"type": "string", "maxLength": 40, "not": {"pattern": schema["pattern"]}}))
    if "enum" in schema:
        choices = ", ".join(json.dumps(value) for value in schema["enum"])
        yield Variant(name, f"one of {choices}",
                      valid({"type": "string", "maxLength": 20, "not": {"enum": schema["enum"]}}))


def _array_violations(name: str, schema: dict[str, Any]) -> Iterator[Variant]:
    item = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    if schema.get("minItems", 0) > 0:
        yield Variant(name, f"minItems {schema['minItems']}",
                      valid({"type": "array", "items": item, "maxItems": schema["minItems"] - 1}))
    if "maxItems" in schema:
        most = schema["maxItems"]
        yield Variant(name, f"maxItems {most}",
                      valid({"type": "array", "items": item, "minItems": most + 1, "maxItems": most + 3}))
    for bad in violations(f"{name}[]", item, required=False):
        yield Variant(name, f"each item: {bad.rule}", st.tuples(bad.values).map(list))


def _has_fractions(schema: dict[str, Any]) -> bool:
    """Whether the bounds of `schema` leave room for a number with a fraction."""
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    return low is None or high is None or high > low


def _only(schema: dict[str, Any], kind: str) -> dict[str, Any]:
    """`schema` narrowed to one of its JSON types (null dropped), without its enum and default."""
    return {key: value for key, value in {**schema, "type": kind}.items()
            if key not in ("enum", "default", "const")}


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]
