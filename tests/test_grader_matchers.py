"""Matchers from exercise files: shorthand, every rule, absent values and JSON paths."""

from __future__ import annotations

import pytest

from apilab.catalog.models import Matcher
from grader.matchers import MISSING, describe, json_path, matches


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
        ("items[-1].id", 2),
        ("$.meta.total", 2),
        ("$.items[5].id", MISSING),
        ("$.nothing.here", MISSING),
        ("$.meta.total.deeper", MISSING),
    ],
)
def test_json_path(path, value):
    document = {"items": [{"id": 1}, {"id": 2}], "meta": {"total": 2}}
    assert json_path(document, path) == value or json_path(document, path) is value
