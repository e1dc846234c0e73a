"""httpkit.conditional: entity-tag comparison and RFC 9110 section 13.2.2's order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from httpkit.conditional import (
    evaluate,
    http_date,
    make_etag,
    match,
    none_match,
    parse_http_date,
    parse_tags,
)

ETAG = '"v7"'
MODIFIED = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
BEFORE, AFTER = http_date(MODIFIED - timedelta(hours=1)), http_date(MODIFIED + timedelta(hours=1))


def test_entity_tag_lists_parse_with_commas_inside_tags():
    assert parse_tags('"a", W/"b" ,"c,d"') == ['"a"', 'W/"b"', '"c,d"']
    assert parse_tags(" * ") == ["*"]
    assert parse_tags("v7") is None  # not quoted: not an entity tag
    assert parse_tags('"a" "b"') is None


@pytest.mark.parametrize(("header", "allows"), [
    (None, True), ("*", True), ('"v7"', True), ('"x", "v7"', True),
    ('W/"v7"', False),  # If-Match compares strongly
    ('"v8"', False), ("garbage", False),
])
def test_if_match_uses_strong_comparison(header, allows):
    assert match(header, ETAG) is allows


def test_if_match_star_needs_a_current_representation():
    assert match("*", None) is False


@pytest.mark.parametrize(("header", "matches"), [
    (None, False), ("*", True), ('"v7"', True), ('W/"v7"', True), ('"a", W/"v7"', True),
    ('"v8"', False),
])
def test_if_none_match_uses_weak_comparison(header, matches):
    assert none_match(header, ETAG) is matches
    assert none_match(header, f"W/{ETAG}") is matches


@pytest.mark.parametrize(("method", "headers", "outcome"), [
    ("GET", {}, None),
    ("GET", {"if-none-match": ETAG}, 304),
    ("HEAD", {"if-none-match": f"W/{ETAG}"}, 304),
    ("PUT", {"if-none-match": "*"}, 412),  # create-only PUT on something that exists
    ("PUT", {"if-match": '"old"'}, 412),
    ("PUT", {"if-match": ETAG}, None),
    # step 1 before step 3: a failed If-Match wins over a matching If-None-Match
    ("GET", {"if-match": '"old"', "if-none-match": ETAG}, 412),
    # If-Unmodified-Since counts only without If-Match
    ("PUT", {"if-unmodified-since": BEFORE}, 412),
    ("PUT", {"if-unmodified-since": AFTER}, None),
    ("PUT", {"if-match": ETAG, "if-unmodified-since": BEFORE}, None),
    # If-Modified-Since counts only without If-None-Match, and only on GET and HEAD
    ("GET", {"if-modified-since": AFTER}, 304),
    ("GET", {"if-modified-since": http_date(MODIFIED)}, 304),
    ("GET", {"if-modified-since": BEFORE}, None),
    ("GET", {"if-none-match": '"other"', "if-modified-since": AFTER}, None),
    ("POST", {"if-modified-since": AFTER}, None),
    # an invalid date is ignored (section 13.1.3)
    ("GET", {"if-modified-since": "yesterday"}, None),
    ("PUT", {"if-unmodified-since": "not a date"}, None),
])
def test_preconditions_are_evaluated_in_rfc_9110_order(method, headers, outcome):
    assert evaluate(method, headers, etag=ETAG, last_modified=MODIFIED) == outcome


@pytest.mark.parametrize(("method", "headers", "outcome"), [
    ("PUT", {}, 428), ("PATCH", {}, 428), ("DELETE", {}, 428),
    ("GET", {}, None), ("HEAD", {}, None),  # reads need no precondition
    ("PUT", {"if-match": ETAG}, None), ("PUT", {"if-match": '"old"'}, 412),
    ("PUT", {"if-unmodified-since": AFTER}, None),
    ("PUT", {"if-none-match": "*"}, 412),  # a precondition, and it fails: the resource exists
])
def test_a_required_precondition_that_is_missing_is_428(method, headers, outcome):
    assert evaluate(method, headers, etag=ETAG, last_modified=MODIFIED, required=True) == outcome
    assert evaluate(method, {}, etag=ETAG, last_modified=MODIFIED) is None  # not unless required


def test_sub_second_modification_times_compare_at_http_date_precision():
    precise = MODIFIED + timedelta(milliseconds=400)
    assert evaluate("GET", {"if-modified-since": http_date(MODIFIED)}, etag=None,
                    last_modified=precise) == 304


def test_http_dates_round_trip_and_etags_follow_the_bytes():
    assert http_date(MODIFIED) == "Fri, 14 Mar 2025 09:26:53 GMT"
    assert parse_http_date(http_date(MODIFIED)) == MODIFIED
    assert parse_http_date("nonsense") is None
    assert make_etag(b"a") == make_etag(b"a") != make_etag(b"b")
    assert make_etag(b"a", weak=True) == "W/" + make_etag(b"a")
