"""Hypothesis strategies built straight from JSON Schemas (2020-12), for the schemas the probes
draw from: the contracts' bodies and parameters, and the edges and violations `values` writes.

Each keyword of the subset below becomes a Hypothesis strategy of its own (`st.integers` within
the bounds, `st.text` within the lengths, `st.from_regex` for a pattern, `st.fixed_dictionaries`
for an object's members), so a draw costs what Hypothesis' own strategies cost. A schema with a
keyword outside the subset goes whole to schemathesis' JSON Schema engine, which models all of
JSON Schema (and is loaded only then: no course contract needs it).

The subset: `type` (one or a list), `enum`, `const`, `minimum`, `maximum`, `exclusiveMinimum`,
`exclusiveMaximum`, `minLength`, `maxLength`, `pattern`, `items`, `minItems`, `maxItems`,
`properties`, `required`, `additionalProperties`, `minProperties`, `maxProperties`, and `not`
of a schema made of `type`, `enum`, `const` and `pattern`. `format` is an annotation in 2020-12
and constrains nothing drawn, as annotations (`description`, `default`...) do not.

Where Python could read the schema otherwise than JSON Schema does (a pattern is an ECMA-262
regular expression that need only be found in the string; `1 == True` in Python, not in JSON),
the value drawn is checked by the validator the judge uses, so every value is what the schema
says, and strings keep every character UTF-8 can carry (controls, accents, CJK, emoji).
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

KNOWN = {"type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
         "minLength", "maxLength", "pattern", "items", "minItems", "maxItems", "properties",
         "required", "additionalProperties", "minProperties", "maxProperties", "not"}
ANNOTATIONS = {"description", "title", "default", "examples", "deprecated", "readOnly",
               "writeOnly", "format", "$comment", "$schema", "$id"}
NEGATED = {"type", "enum", "const", "pattern"}  # what a `not` here may bar
TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")


def characters(lowest: int = 0) -> st.SearchStrategy[str]:
    """Every character UTF-8 can carry from code point `lowest` up, NUL included: every code
    point but the surrogates. The same characters as `st.characters(codec="utf-8")`, said by
    category: for a codec, Hypothesis builds its table by encoding each of 1.1 million code
    points (seconds, in every new cache folder, so in a learner's first check), where the
    categories come from a table it builds ten times faster."""
    return st.characters(min_codepoint=lowest, exclude_categories=["Cs"])


CHARACTERS = characters()
# Text at least this long is a short head and one character repeated (see `_padded`): Hypothesis
# would otherwise draw, and record, each of hundreds of characters.
PADDED_FROM = 256
PADDED_HEAD = 16
PADDED_SLACK = 8  # how far past its floor a padded string may run: the floor is the edge
FEW = 3  # members or items of a value the schema says nothing about


class _Outside(Exception):
    """The schema uses a keyword this module does not model."""


def from_schema(schema: dict[str, Any] | bool) -> st.SearchStrategy[Any]:
    """Values `schema` admits, whole numbers as integers: built here for the subset above, else
    by schemathesis. The same schema gives the same strategy object (validated once)."""
    text = json.dumps(schema, sort_keys=True)
    try:
        return _built(text)
    except _Outside:
        return _engine(text)


@functools.lru_cache(maxsize=512)
def _built(schema_text: str) -> st.SearchStrategy[Any]:
    return _strategy(json.loads(schema_text))


def _strategy(schema: dict[str, Any] | bool) -> st.SearchStrategy[Any]:
    if schema is True:
        return _ANY
    if schema is False:
        return st.nothing()
    if not isinstance(schema, dict):
        raise _Outside(json.dumps(schema)[:40])
    if unknown := set(schema) - KNOWN - ANNOTATIONS:
        raise _Outside(", ".join(sorted(unknown)))
    if "const" in schema or "enum" in schema:
        return _listed(schema)
    if schema.get("not") == {"type": "integer"} and schema.get("type") == "number" and (
            _bounds(schema) == (None, None)):
        return _FRACTIONS  # a number with a fraction, never 2.0: drawn as such, not filtered
    kinds = _kinds(schema)
    strategy = st.one_of([_BY_TYPE[kind](schema) for kind in kinds]) if kinds else st.nothing()
    if "not" in schema:
        strategy = kept(strategy, _barring(schema["not"]))
    return strategy


def _kinds(schema: dict[str, Any]) -> list[str]:
    """The JSON types to draw from, in `TYPES` order; "number" covers "integer"."""
    declared = schema.get("type", list(TYPES))
    kinds = {declared} if isinstance(declared, str) else set(declared)
    if "number" in kinds:
        kinds.discard("integer")
    return [kind for kind in TYPES if kind in kinds]


def _listed(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """`enum` and `const`: their values that the rest of the schema admits."""
    values = [schema["const"]] if "const" in schema else list(schema["enum"])
    if "const" in schema and "enum" in schema:
        values = [v for v in schema["enum"] if _same(v, schema["const"])]
    admits = _validator(json.dumps(schema, sort_keys=True)).is_valid
    admitted = [value for value in values if admits(value)]
    return st.sampled_from(admitted) if admitted else st.nothing()


def _barring(barred: Any) -> Any:
    """A filter that keeps the values `barred` (the schema under `not`) does not admit."""
    if not isinstance(barred, dict) or set(barred) - NEGATED - ANNOTATIONS:
        raise _Outside("not")
    admits = _validator(json.dumps(barred, sort_keys=True)).is_valid
    return lambda value: not admits(value)


@st.composite
def kept(draw: Any, strategy: st.SearchStrategy[Any], keep: Any) -> Any:
    """`strategy.filter(keep)`, as cheap as the draw: Hypothesis validates a filtered strategy
    again at each draw (and tries to rewrite its predicate, reading its source), which costs more
    than drawing a short string."""
    for _attempt in range(3):  # as `filter` does, before it gives the example up
        value = draw(strategy)
        if keep(value):
            return value
    reject()


# --- one JSON type each ----------------------------------------------------------------------------


def _integers(schema: dict[str, Any]) -> st.SearchStrategy[int]:
    low, high = _bounds(schema)
    least = None if low is None else math.floor(low[0]) + 1 if low[1] else math.ceil(low[0])
    most = None if high is None else math.ceil(high[0]) - 1 if high[1] else math.floor(high[0])
    if least is not None and most is not None and least > most:
        return st.nothing()
    return st.integers(least, most)


def _numbers(schema: dict[str, Any]) -> st.SearchStrategy[int | float]:
    return _integers(schema) | _fractions(schema).map(_integral)


def _fractions(schema: dict[str, Any]) -> st.SearchStrategy[float]:
    low, high = _bounds(schema)
    if low and high and (low[0] > high[0] or (low[0] == high[0] and (low[1] or high[1]))):
        return st.nothing()
    return st.floats(None if low is None else low[0], None if high is None else high[0],
                     exclude_min=bool(low and low[1]), exclude_max=bool(high and high[1]),
                     allow_nan=False, allow_infinity=False)


def _bounds(schema: dict[str, Any]) -> tuple[tuple[float, bool] | None, tuple[float, bool] | None]:
    """The tightest lower and upper bounds, each (value, exclusive)."""
    lows = [(schema[k], k.startswith("exclusive")) for k in ("minimum", "exclusiveMinimum") if k in schema]
    highs = [(schema[k], k.startswith("exclusive")) for k in ("maximum", "exclusiveMaximum") if k in schema]
    low = max(lows, key=lambda bound: (bound[0], bound[1]), default=None)
    high = min(highs, key=lambda bound: (bound[0], not bound[1]), default=None)
    return low, high


def _strings(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength")
    if longest is not None and longest < shortest:
        return st.nothing()
    if "pattern" in schema and (run := _class_run(schema["pattern"])):
        characters, fewest, most = run
        ceiling = min(most, longest if longest is not None else math.inf)
        if max(fewest, shortest) > ceiling:
            return st.nothing()
        return st.text(st.sampled_from(characters), min_size=max(fewest, shortest),
                       max_size=None if math.isinf(ceiling) else int(ceiling))
    if "pattern" in schema:
        drawn = st.from_regex(_python_pattern(schema["pattern"]), alphabet=CHARACTERS)
        admits = _validator(json.dumps({"pattern": schema["pattern"]})).is_valid
        ceiling = longest if longest is not None else math.inf
        return kept(drawn, lambda text: shortest <= len(text) <= ceiling and admits(text))
    if shortest >= PADDED_FROM:
        return _padded(shortest, longest)
    return st.text(CHARACTERS, min_size=shortest, max_size=longest)


def _padded(shortest: int, longest: int | None) -> st.SearchStrategy[str]:
    """Text of `shortest` to `longest` characters: a short head, then one character repeated."""
    ceiling = shortest + PADDED_SLACK if longest is None else min(longest, shortest + PADDED_SLACK)
    return st.tuples(st.integers(shortest, ceiling), st.text(CHARACTERS, max_size=PADDED_HEAD),
                     CHARACTERS).map(lambda parts: (parts[1] + parts[2] * parts[0])[:parts[0]])


# `^[class]{m,n}$` and its kin (`+`, `*`, `?`, `{m}`, `{m,}`): the commonest pattern of all, a
# run of characters from one class of printable ASCII.
_CLASS_RUN = re.compile(r"\^\[([ -Z^-~]+)\](\+|\*|\?|\{(\d+)(,(\d*))?\})?\$")


def _class_run(pattern: str) -> tuple[list[str], int, float] | None:
    """The characters, fewest and most of a pattern that is one class repeated (no escapes,
    not negated), which Hypothesis draws as text far cheaper than through `st.from_regex`."""
    found = _CLASS_RUN.fullmatch(pattern)
    if found is None or found[1].startswith("^"):
        return None
    quantifier, fewest, comma, most = found[2] or "", found[3], found[4], found[5]
    bounds = {"": (1, 1), "+": (1, math.inf), "*": (0, math.inf), "?": (0, 1)}.get(quantifier) or (
        int(fewest), math.inf if comma and not most else int(most or fewest))
    try:
        member = re.compile(f"[{found[1]}]")
    except re.error:
        return None  # a range out of order: `st.from_regex` says what is wrong with it
    return [chr(code) for code in range(0x20, 0x7F) if member.fullmatch(chr(code))], *bounds


def _python_pattern(pattern: str) -> re.Pattern[str]:
    """`pattern` for `st.from_regex`: where ECMA-262's final `$` ends the string, Python's also
    matches before a final newline; and `\\d`, `\\w` stay ASCII, as in ECMA-262. (The validator
    still has the last word on what is drawn.)"""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + "\\Z"
    return re.compile(pattern, re.ASCII)


def _arrays(schema: dict[str, Any]) -> st.SearchStrategy[list[Any]]:
    items = schema.get("items", True)
    shortest, longest = schema.get("minItems", 0), schema.get("maxItems")
    if longest is not None and longest < shortest:
        return st.nothing()
    return st.lists(_strategy(items), min_size=shortest,
                    max_size=longest if longest is not None or items is not True else FEW)


def _objects(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    named = schema.get("properties") or {}
    required = set(schema.get("required", []))
    members = st.fixed_dictionaries(
        {name: _strategy(sub) for name, sub in named.items() if name in required},
        optional={name: _strategy(sub) for name, sub in named.items() if name not in required})
    others = schema.get("additionalProperties", True)
    fewest, most = schema.get("minProperties", 0), schema.get("maxProperties")
    missing = required - set(named)  # required members with no schema: any value
    if missing and others is False:
        return st.nothing()
    if missing:
        members = st.tuples(members, st.fixed_dictionaries({n: _ANY for n in sorted(missing)})).map(
            lambda parts: {**parts[0], **parts[1]})
    if others is not False:
        names = st.text(CHARACTERS, max_size=12)
        if not named and not missing:  # members of one schema: their count is the dictionary's
            return st.dictionaries(names, _strategy(others), min_size=fewest,
                                   max_size=most if most is not None else FEW)
        extra = st.dictionaries(kept(names, lambda name: name not in named and name not in missing),
                                _strategy(others), max_size=most if most is not None else FEW)
        members = st.tuples(members, extra).map(lambda parts: {**parts[1], **parts[0]})
    if fewest or most is not None:
        ceiling = most if most is not None else math.inf
        members = kept(members, lambda value: fewest <= len(value) <= ceiling)
    return members


def _integral(value: Any) -> Any:
    """Whole floats as integers, at any depth: the probes never send 2.0 for 2 (a whole number
    spelled as a float is an integer to JSON Schema, not to every JSON reader)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    return value


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(CHARACTERS, max_size=12),
                     st.floats(allow_nan=False, allow_infinity=False).map(_integral))
_ANY: st.SearchStrategy[Any] = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=FEW) | st.dictionaries(
        st.text(CHARACTERS, max_size=12), inner, max_size=FEW), max_leaves=FEW)
# A whole part and a fraction that floats keep apart at any whole part of this size: a float drawn
# and filtered would be whole too often (Hypothesis favours 0.0, 1.0...), and cost a filter.
_FRACTIONS = st.tuples(st.integers(-10**6, 10**6), st.floats(0.01, 0.99)).map(sum)
_BY_TYPE = {
    "null": lambda _schema: st.none(),
    "boolean": lambda _schema: st.booleans(),
    "integer": _integers,
    "number": _numbers,
    "string": _strings,
    "array": _arrays,
    "object": _objects,
}


def _same(one: Any, other: Any) -> bool:
    """Equal as JSON: `true` is not `1`."""
    return json.dumps(one, sort_keys=True) == json.dumps(other, sort_keys=True)


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    import jsonschema_rs  # the validator the judge uses: quick to load, quick to run

    return jsonschema_rs.Draft202012Validator(json.loads(schema_text))


@functools.lru_cache(maxsize=64)
def _engine(schema_text: str) -> st.SearchStrategy[Any]:
    # schemathesis carries the maintained JSON Schema engine for Hypothesis (hypothesis-jsonschema
    # no longer runs on current Hypothesis); loaded only for a schema the subset above leaves out.
    import jsonschema_rs
    from schemathesis.generation.jsonschema.builder import build

    return build(json.loads(schema_text), draft=jsonschema_rs.Draft202012, formats={}).map(_integral)
