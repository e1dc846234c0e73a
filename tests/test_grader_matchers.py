"""Matchers from exercise files: shorthand, every rule, absent values, and RFC 9535 JSON paths
that select one value, several, or none."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from apilab.catalog.models import Expect, Matcher
from grader.matchers import (
    MISSING,
    describe,
    expectation,
    matches,
    nodes_mismatch,
    text_change,
    value_at,
)


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (Matcher.model_validate(201), 201, True),
        (Matcher.model_validate(201), 200, False),
        (Matcher.model_validate(3), 3.0, True),  # one JSON number type
        (Matcher.model_validate(1), True, False),  # but true is not 1
        (Matcher(one_of=[200, 204]), 204, True),
        (Matcher(contains="json"), "application/problem+json", True),
        (Matcher(matches=r"^/books/\w+$"), "/books/12", True),
        (Matcher(matches=r"^/books/\w+$"), "/authors/12", False),
        (Matcher(type="integer"), 3, True),
        (Matcher(type="integer"), True, False),
        (Matcher(type="string"), 3, False),
        (Matcher(length=2), [1, 2], True),
        (Matcher(min_length=3), [1, 2], False),
        (Matcher(present=True), MISSING, False),
        (Matcher(present=False), MISSING, True),
        (Matcher(present=False), "x", False),
        (Matcher(type="string"), MISSING, False),
        (Matcher(), MISSING, True),
    ],
)
def test_matches(rule, value, expected):
    assert matches(rule, value) is expected


def test_describe_reads_as_a_sentence():
    assert describe(Matcher(one_of=[200, 204])) == "one of 200, 204"
    assert describe(Matcher(present=True, matches="^/b")) == "matching /^/b/ and present"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("$.items[0].id", 1),
        ("items[-1].id", 2),  # shorthand: read as $.items[-1].id
        ("$.meta.total", 2),
        ("$.items[5].id", MISSING),
        ("$.nothing.here", MISSING),
        ("$.meta.total.deeper", MISSING),
        ("$['meta']['total']", 2),
    ],
)
def test_value_at_a_singular_path(path, value):
    document = {"items": [{"id": 1}, {"id": 2}], "meta": {"total": 2}}
    assert value_at(document, path) == value or value_at(document, path) is value


# --- several values: the rules that cannot pass by accident --------------------------------------

USERS = {"items": [{"id": 1, "name": "ada"}, {"id": 2, "name": "grace"}]}
LEAKY = {"items": [{"id": 1, "name": "ada"}, {"id": 2, "name": "grace", "password": "hunter2"}]}


def rule(spec) -> Matcher:
    return Matcher.model_validate(spec)


def test_absent_on_a_wildcard_means_absent_from_every_item():
    assert nodes_mismatch(rule({"present": False}), "$.items[*].password", USERS) is None
    received = nodes_mismatch(rule({"present": False}), "$.items[*].password", LEAKY)
    assert received == "$['items'][1]['password'] = \"hunter2\""  # names the item that leaks


def test_absent_anywhere_with_descendants():
    nested = {"user": {"profile": {"password": "x"}}}
    assert nodes_mismatch(rule({"present": False}), "$..password", nested) is not None
    assert nodes_mismatch(rule({"present": False}), "$..password", USERS) is None


def test_present_on_a_wildcard_needs_at_least_one():
    assert nodes_mismatch(rule({"present": True}), "$.items[*].password", LEAKY) is None
    assert nodes_mismatch(rule({"present": True}), "$.items[*].password", USERS) is not None


def test_other_rules_hold_for_every_value_and_at_least_one():
    assert nodes_mismatch(rule({"type": "integer"}), "$.items[*].id", USERS) is None
    assert nodes_mismatch(rule({"matches": "^a"}), "$.items[*].name", USERS) == (
        "$['items'][1]['name'] = \"grace\"")
    # A wildcard over an empty list does not pass a rule vacuously.
    assert nodes_mismatch(rule({"type": "integer"}), "$.items[*].id", {"items": []}) is not None
    assert nodes_mismatch(rule({}), "$.items[*].id", {"items": []}) is None  # no rule: anything


def test_every_item_has_a_field_is_said_with_a_filter():
    lacks_name = {"items": [{"id": 1, "name": "ada"}, {"id": 2}]}
    assert nodes_mismatch(rule({"present": False}), "$.items[?!@.name]", USERS) is None
    assert nodes_mismatch(rule({"present": False}), "$.items[?!@.name]", lacks_name) is not None


def test_a_singular_path_reports_as_the_author_wrote_it():
    assert nodes_mismatch(rule("GET"), "$.method", {"method": "POST"}) == '$.method = "POST"'
    assert nodes_mismatch(rule(1), "$.missing", {}) == "$.missing = nothing (absent)"


def test_the_expected_line_says_every_for_several_values():
    assert expectation(rule({"type": "string"}), "$.items[*].name") == (
        "every $.items[*].name of type string (and at least one)")
    assert expectation(rule({"present": False}), "$.items[*].password") == (
        "$.items[*].password absent everywhere")
    assert expectation(rule("x"), "$.a") == '$.a equal to "x"'


@pytest.mark.parametrize("path", ["$.headers.x-word", "$.items[*", "$[?@.a == ]", "$.a..", "$$"])
def test_an_invalid_path_is_refused_when_the_exercise_loads(path):
    with pytest.raises(ValidationError, match="invalid JSONPath"):
        Expect.model_validate({"json": {path: 1}})


def test_quoted_names_reach_members_that_are_not_identifiers():
    expect = Expect.model_validate({"json": {"$.headers['x-word']": "hi", "status": 1}})
    assert set(expect.json_paths) == {"$.headers['x-word']", "$.status"}  # shorthand normalized
    assert value_at({"headers": {"x-word": "hi"}}, "$.headers['x-word']") == "hi"


@pytest.mark.parametrize("received", ["Dune", "Dune\t", "  Dune", "Dune "])
def test_text_that_lost_or_changed_its_surrounding_spaces_is_named_as_trimmed(received):
    assert "never trim it" in text_change("  Dune\t", received)


def test_text_changed_inside_is_not_called_trimmed():
    assert text_change(" Dune ", " Dune 2 ") is None
