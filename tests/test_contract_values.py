"""The probes' values are what their schemas say: for every contract of the course, every body
drawn valid validates against its schema, every edge of a field validates against the field's
schema, and every violation does not, whatever the seed. Checked by jsonschema_rs, the validator
the probes judge answers with.

The strategies are built from the schemas by `grader.contract.strategies`; schemathesis' engine
stays the fallback for schemas outside what it models, and the course never needs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from grader.contract.document import load_contract
from grader.contract.strategies import characters, from_schema
from grader.contract.values import ABSENT, edges, valid, violations

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = sorted((ROOT / "exercises").glob("*/openapi.yaml"))
SEEDS = (1, 2, 3)


def drawn(strategy: st.SearchStrategy[Any], examples: int = 12) -> list[Any]:
    """Values Hypothesis draws from `strategy`, from each of several seeds."""
    values: list[Any] = []
    for chosen in SEEDS:
        @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @seed(chosen)
        @given(strategy)
        def keep(value: Any) -> None:
            values.append(value)

        keep._hypothesis_internal_database_key = None  # no database: no key read from source
        keep()
    return values


def validator(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft202012Validator(schema)


def test_every_course_contract_is_checked():
    assert len(CONTRACTS) >= 6
    assert all(any(op.body for op in load_contract(path).operations) for path in CONTRACTS)


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda path: path.parent.name)
def test_valid_bodies_and_parameters_validate(path):
    for operation in load_contract(path).operations:
        schemas = [operation.body] if operation.body is not None else []
        for schema in [*schemas, *(parameter.schema for parameter in operation.parameters)]:
            check = validator(schema)
            wrong = [value for value in drawn(valid(schema)) if not check.is_valid(value)]
            assert wrong == [], f"{operation.label}: {json.dumps(schema)}"


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda path: path.parent.name)
def test_each_edge_is_valid_and_each_violation_is_not(path):
    checked = 0
    for operation in load_contract(path).operations:
        body = operation.body or {}
        required = body.get("required", [])
        for name, schema in (body.get("properties") or {}).items():
            check = validator(schema)
            for variant in edges(name, schema, name in required):
                values = [v for v in drawn(variant.values, 6) if v is not ABSENT]
                assert [v for v in values if not check.is_valid(v)] == [], (
                    f"{operation.label} {name}: edge {variant.rule}")
                checked += len(values)
            for variant in violations(name, schema, name in required):
                values = drawn(variant.values, 6)
                if variant.rule == "required":
                    assert values == [ABSENT] * len(values)
                    assert not validator(body).is_valid({})
                    continue
                assert [v for v in values if check.is_valid(v)] == [], (
                    f"{operation.label} {name}: violation {variant.rule}")
                checked += len(values)
    assert checked > 100


def test_text_keeps_every_kind_of_character():
    # What catches a server that mangles non-ASCII or counts UTF-16 units: controls, accents,
    # CJK and characters beyond the Basic Multilingual Plane (emoji) all turn up.
    text = "".join(drawn(valid({"type": "string", "minLength": 1, "maxLength": 500}), 100))
    assert any(ord(c) < 0x20 for c in text)
    assert any(0x80 <= ord(c) < 0x800 for c in text)
    assert any(0x800 <= ord(c) < 0x10000 for c in text)
    assert any(ord(c) >= 0x10000 for c in text)


def test_long_text_reaches_its_edges_in_any_characters():
    values = drawn(valid({"type": "string", "minLength": 500, "maxLength": 500}), 30)
    assert {len(value) for value in values} == {500}
    assert any(any(ord(c) >= 0x80 for c in value) for value in values)


def test_a_pattern_is_searched_for_not_matched_whole():
    # JSON Schema's `pattern` is found anywhere in the string: values around a match are valid.
    values = drawn(valid({"type": "string", "pattern": "ab"}), 50)
    assert all("ab" in value for value in values)
    assert any(value != "ab" for value in values)


def test_an_anchored_pattern_allows_no_final_newline():
    # ECMA-262's `$` ends the string; Python's also matches before a final newline.
    values = drawn(valid({"type": "string", "pattern": "^[a-z0-9-]+$"}), 100)
    assert values and all(validator({"pattern": "^[a-z0-9-]+$"}).is_valid(v) for v in values)
    assert not any(value.endswith("\n") for value in values)


def test_whole_numbers_are_sent_as_integers():
    values = drawn(valid({"type": "object", "required": ["n"], "properties": {
        "n": {"type": "number", "minimum": -3, "maximum": 3}}}), 100)
    assert not any(isinstance(value["n"], float) and value["n"].is_integer() for value in values)
    assert any(isinstance(value["n"], float) for value in values)
    anything = drawn(valid({"type": "array", "items": True, "maxItems": 3}), 100)
    assert not any(isinstance(leaf, float) and leaf.is_integer() for leaf in leaves(anything))


def leaves(value: Any) -> list[Any]:
    if isinstance(value, list | dict):
        return [leaf for item in (value.values() if isinstance(value, dict) else value)
                for leaf in leaves(item)]
    return [value]


@pytest.mark.parametrize("schema", [
    {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}},
     "additionalProperties": False, "minProperties": 1},
    {"type": ["integer", "null"], "exclusiveMinimum": 0.5, "exclusiveMaximum": 4},
    {"type": "string", "maxLength": 12, "not": {"enum": ["a", "b"]}},
    {"type": "string", "maxLength": 40, "not": {"pattern": "^[a-z]+$"}},
    {"type": "number", "not": {"type": "integer"}},
    {"type": "number", "minimum": 0.2, "exclusiveMaximum": 0.8},
    {"type": "object", "required": ["a", "b"], "properties": {"a": {"const": 1}}},
    {"type": "string", "pattern": "^(ab|c)+$"},
    {"type": "string", "pattern": "^[a-z_]{2,4}$", "minLength": 3},
    {"type": "array", "items": {"type": "boolean"}, "minItems": 2, "maxItems": 3},
    {"type": "object", "maxProperties": 2, "additionalProperties": {"type": "null"}},
    {"enum": [1, True, "x"], "type": "integer"},
    {"const": "*"},
    {},
], ids=lambda schema: json.dumps(schema)[:40])
def test_each_keyword_of_the_subset_is_drawn_as_the_schema_says(schema):
    values = drawn(from_schema(schema), 30)
    check = validator(schema)
    assert values and [value for value in values if not check.is_valid(value)] == []


def test_a_schema_outside_the_subset_is_drawn_by_the_fallback_engine():
    schema = {"type": "array", "items": {"anyOf": [{"type": "integer", "multipleOf": 7},
                                                   {"type": "string", "format": "date"}]},
              "uniqueItems": True, "minItems": 2}
    values = drawn(from_schema(schema), 20)
    assert values and all(validator(schema).is_valid(value) for value in values)


# Builds every value the probes draw from the course's contracts, as a check does, in a fresh
# interpreter; says which of the heavy engines it loaded.
DRAW_EVERY_CONTRACT = """
import sys
from pathlib import Path
from hypothesis import given, settings, strategies as st
from grader.contract.document import load_contract
from grader.contract.explore import prepare, warm
from grader.contract.values import edges, valid, violations
prepare()
for path in sys.argv[1:]:
    contract = load_contract(Path(path))
    found = []
    for operation in contract.operations:
        for parameter in operation.parameters:
            found.append(valid(parameter.schema))
        body = operation.body or {}
        if operation.body is not None:
            found.append(valid(body))
        for name, schema in (body.get("properties") or {}).items():
            for variants in (edges, violations):
                found += [v.values for v in variants(name, schema, name in body.get("required", []))]
    warm(found)
print(sorted(name for name in ("schemathesis", "hypothesis_jsonschema") if name in sys.modules))
"""


def test_drawing_from_every_course_contract_loads_no_schema_engine():
    result = subprocess.run([sys.executable, "-c", DRAW_EVERY_CONTRACT, *map(str, CONTRACTS)],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stderr


def test_probe_text_draws_from_every_character_utf8_can_carry():
    """Every code point but the surrogates (which UTF-8 cannot encode), NUL included, and
    beyond ASCII when asked."""
    assert characters().wrapped_strategy.intervals.intervals == ((0, 0xD7FF), (0xE000, 0x10FFFF))
    assert characters(0x80).wrapped_strategy.intervals.intervals == ((0x80, 0xD7FF),
                                                                      (0xE000, 0x10FFFF))


def test_a_path_parameter_is_odd_text_but_never_holds_a_slash():
    # Sent as %2F, a "/" is data; frameworks decode it before routing all the same (Starlette and
    # Werkzeug redirect it), and a learner's server would be failed for its framework.
    from grader.contract.reads import _GARBAGE, _SEGMENT

    segments = drawn(_SEGMENT, 200)
    assert segments and not any("/" in value for value in segments)
    assert any(not value.isascii() for value in segments), "still any text"
    assert any("/" in value for value in drawn(_GARBAGE, 400)), "query values may hold one"
