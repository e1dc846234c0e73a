"""Declarative steps: requests built from exercise data, expectations, captures, clear failures."""

from __future__ import annotations

import random

import pytest

from apilab.catalog.models import Step
from grader.context import CheckContext, CheckFailed
from grader.report import CheckResult
from grader.runner import grade
from grader.steps import run_steps
from grader.wire import Wire
from tests import hostile_servers as hs


@pytest.fixture(scope="module")
def url():
    with hs.serve_app(hs.echo_app()) as base:
        yield base


async def run(url: str, *steps: dict, data: dict | None = None) -> CheckResult:
    check = {"id": "steps", "title": "Steps", "points": 1, "steps": list(steps)}
    report = await grade(hs.exercise(check, data=data), url, seed=11)
    [result] = report.checks
    return result


async def test_captures_feed_later_steps(url):
    result = await run(
        url,
        {"method": "POST", "path": "/items", "json": {"title": "${title}"},
         "expect": {"status": 201, "headers": {"ETag": {"matches": '^"v\\d+"$'}}},
         "capture": {"location": {"header": "Location"}, "id": {"json": "$.id"}}},
        {"method": "GET", "path": "${location}",
         "expect": {"status": 200, "json": {"$.id": "${id}", "$.title": "${title}"}}},
        data={"title": {"kind": "title"}},
    )
    assert result.status == "pass", result.message
    assert [e.request.method for e in result.exchanges] == ["POST", "GET"]
    assert result.exchanges[1].request.url.startswith(f"{url}/items/")


async def test_seeded_data_fills_query_headers_and_body(url):
    result = await run(url, {
        "method": "PUT", "path": "/echo", "query": {"q": "${word}", "n": "2"},
        "headers": {"X-Word": "${word}"}, "json": {"n": "${n}", "word": "${word}"},
        "expect": {"status": 200, "json": {
            "$.query.q": "${word}", "$.headers['x-word']": "${word}",
            "$.headers['content-type']": "application/json", "$.body": {"contains": '"n": '}}},
    }, data={"word": {"kind": "word"}, "n": {"kind": "int", "min": 5, "max": 5}})
    assert result.status == "pass", result.message
    assert '"n": 5' in result.exchanges[0].request.body  # a whole placeholder keeps its type


async def test_an_explicit_content_type_is_kept(url):
    result = await run(url, {
        "method": "POST", "path": "/echo", "headers": {"Content-Type": "text/plain"},
        "body": "hello", "expect": {"json": {"$.headers['content-type']": "text/plain",
                                             "$.body": "hello"}}})
    assert result.status == "pass", result.message


@pytest.mark.parametrize(("expect", "message", "expected", "received"), [
    ({"status": 201}, "GET /text answered 200", "status 201", "status 200 OK"),
    ({"status": [201, 204]}, "answered 200", "status 201 or 204", "status 200 OK"),
    ({"content_type": "application/json"}, "wrong Content-Type",
     "Content-Type application/json", "Content-Type text/plain; charset=utf-8"),
    ({"headers": {"ETag": {"present": True}}}, "header ETag is not as expected",
     "ETag present", "no ETag header"),
    ({"headers": {"Content-Type": {"contains": "json"}}}, "header Content-Type",
     'Content-Type containing "json"', "Content-Type: text/plain; charset=utf-8"),
    ({"body_empty": True}, "the body should be empty", "an empty body", "11 bytes"),
    ({"json": {"$.a": 1}}, "expected a JSON body but the body is not valid JSON", "a JSON body",
     "text/plain: plain words"),
])
async def test_each_broken_expectation_says_what_was_expected_and_received(
        url, expect, message, expected, received):
    result = await run(url, {"method": "GET", "path": "/text", "expect": expect})
    assert result.status == "fail"
    assert message in result.message
    if expected is not None:
        assert result.expected == expected
    assert result.received == received


async def test_a_json_field_mismatch_names_the_path(url):
    result = await run(url, {"method": "GET", "path": "/echo",
                             "expect": {"json": {"$.method": "POST", "$.missing": 1}}})
    assert "body field $.method is not as expected" in result.message
    assert result.expected == '$.method equal to "POST"'
    assert result.received == '$.method = "GET"'


async def test_a_missing_capture_fails_before_the_next_step(url):
    result = await run(
        url,
        {"method": "GET", "path": "/echo", "capture": {"location": {"header": "Location"}}},
        {"method": "GET", "path": "${location}"},
    )
    assert "no Location header, which the next step needs" in result.message
    assert len(result.exchanges) == 1


async def test_a_missing_json_capture_names_the_placeholder(url):
    result = await run(url, {"method": "GET", "path": "/echo",
                             "capture": {"id": {"json": "$.id"}}})
    assert "has no $.id, which the next step needs (as ${id})" in result.message


async def test_an_unknown_placeholder_is_an_authoring_error_not_a_crash(url):
    result = await run(url, {"method": "GET", "path": "/items/${nope}"})
    assert result.status == "fail"
    assert "${nope}, which no earlier step captured" in result.message
    assert result.exchanges == []


async def test_lone_surrogates_in_a_json_answer_still_give_a_storable_report(url):
    # "\ud800" is valid JSON text but not a character; the report must still encode as UTF-8.
    check = {"id": "odd", "title": "Odd", "points": 1, "steps": [
        {"method": "GET", "path": "/surrogate", "expect": {"json": {"$.title": "x"}}}]}
    report = await grade(hs.exercise(check), url, seed=1)
    assert "\\ud800" in report.checks[0].received
    report.to_json().encode("utf-8")


async def test_a_captured_value_that_cannot_be_sent_fails_the_check(url):
    result = await run(
        url,
        {"method": "GET", "path": "/surrogate", "capture": {"title": {"json": "$.title"}}},
        {"method": "GET", "path": "/echo", "headers": {"X-Title": "${title}"}},
    )
    assert result.status == "fail"
    assert "cannot build the request" in result.message
    result.model_dump_json().encode("utf-8")


async def test_run_steps_returns_the_last_response(url):
    steps = [Step.model_validate({"method": "GET", "path": "/text"}),
             Step.model_validate({"method": "GET", "path": "/echo"})]
    async with Wire(url) as wire:
        ctx = CheckContext(wire, {}, random.Random(1))
        response = await run_steps(ctx, steps)
    assert response.json()["path"] == "/echo"


def test_fill_keeps_types_and_interpolates_strings():
    ctx = CheckContext(Wire("http://127.0.0.1:1"), {"n": 3, "name": "Ada"}, random.Random(1))
    assert ctx.fill("${n}") == 3
    assert ctx.fill("/books/${n}?by=${name}") == "/books/3?by=Ada"
    assert ctx.fill({"${name}": ["${n}", "x"]}) == {"Ada": [3, "x"]}
    with pytest.raises(CheckFailed, match="no earlier step captured"):
        ctx.fill("${missing}")


async def test_a_failed_setup_step_says_so_instead_of_the_checks_why(url):
    result = await run(
        url,
        {"method": "GET", "path": "/text", "setup": True, "expect": {"status": 201}},
        {"method": "GET", "path": "/echo", "expect": {"status": 200}},
    )
    assert result.status == "fail"
    assert result.stopped_while == "preparing: step 1 of 2 (GET /text)"
    assert result.why == "" and result.hint.startswith("This check stopped while preparing")


async def test_a_failure_in_a_step_that_is_tested_keeps_the_checks_why(url):
    result = await run(
        url,
        {"method": "GET", "path": "/text", "expect": {"status": 201}},  # not setup: tested
        {"method": "GET", "path": "/echo", "expect": {"status": 200}},
    )
    assert result.stopped_while is None and result.why.startswith("RFC 9110")


async def test_a_hidden_check_says_when_it_stopped_while_preparing(url):
    check = {"id": "secret", "title": "Secret", "points": 1, "hidden": True, "steps": [
        {"method": "GET", "path": "/text", "setup": True, "expect": {"status": 201}},
        {"method": "GET", "path": "/echo"}]}
    report = await grade(hs.exercise(check), url, seed=1, include_hidden=True)
    [result] = report.checks
    assert result.exchanges == [] and "stopped while preparing: step 1 of 2" in result.message


async def test_response_status_lets_a_body_be_compared_with_its_own_status(url):
    rules = {"status": 404, "json": {"$.status": "${response_status}"}}
    passed = await run(url, {"method": "GET", "path": "/items/999999", "expect": rules})
    assert passed.status == "pass", passed.message
    wrong = await run(url, {"method": "GET", "path": "/items/999999",
                            "expect": {"json": {"$.title": "${response_status}"}}})
    assert wrong.status == "fail" and wrong.expected == "$.title equal to 404"
