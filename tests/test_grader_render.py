"""Renderers: what a learner reads in the terminal, what CI reads as JUnit, what the store keeps.

The realistic report comes from grading a real (buggy) server against the books fixture exercise;
the hostile one is built by hand with every kind of byte a learner's server could send back.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse, PlainTextResponse

from apilab.catalog.loader import load_exercise
from grader.render import render
from grader.report import SCHEMA_VERSION, CheckResult, Exchange, ReceivedResponse, Report, SentRequest
from grader.runner import grade
from tests import hostile_servers as hs
from tests.helpers import make_report

BOOKS = Path(__file__).parent / "fixtures" / "hostile" / "books"
SEED = 4242
HOSTILE = "\x00\x07\x1b[2J\x1b]0;pwned\x07\x9b31m\ud800\r\x7f\ufffe end"


def buggy_books_app() -> FastAPI:
    """Lists books, but creates with 200 and no Location, and crashes on unknown ids."""
    app = FastAPI()
    books: dict[int, dict] = {}

    @app.get("/books")
    def list_books() -> list[dict]:
        return list(books.values())

    @app.post("/books")
    def create(book: dict) -> dict:
        books[len(books) + 1] = book
        return book

    @app.get("/books/{book_id}")
    def read(book_id: int):
        if book_id not in books:
            return PlainTextResponse("Internal Server Error\x1b[31m (KeyError)", status_code=500)
        raise HTTPException(500)

    @app.exception_handler(ValueError)
    def never(request, exc):  # pragma: no cover - keeps the app's shape realistic
        return JSONResponse({"detail": str(exc)}, 500)

    return app


@pytest.fixture(scope="module")
def books():
    return load_exercise(BOOKS)


@pytest.fixture(scope="module")
def buggy_url():
    with hs.serve_app(buggy_books_app()) as url:
        yield url


@pytest.fixture
async def report(books, buggy_url) -> Report:
    return await grade(books, buggy_url, seed=SEED, include_hidden=True)


def hostile_report() -> Report:
    request = SentRequest(method="GET", url="http://127.0.0.1:8001/books", headers=[
        ("host", "127.0.0.1:8001"), ("accept", "*/*"), ("x-probe", HOSTILE)], body="")
    response = ReceivedResponse(status=200, reason="OK" + HOSTILE, headers=[
        ("content-type", "application/json"), ("x-evil", HOSTILE)],
        body='{"title": "' + HOSTILE + '"}' + HOSTILE * 3, body_size=9000, body_truncated=True)
    failed = CheckResult(
        id="list-books", title="Lists books", status="fail", points=0, max_points=2,
        message="body field $.title is not as expected" + HOSTILE, expected='$.title equal to "A"',
        received="$.title = " + HOSTILE, why="RFC 8259", hint="Return the title as sent.",
        exchanges=[Exchange(request=request, response=response, curl="curl -i " + HOSTILE)],
    )
    broken = CheckResult(
        id="reset", title="Survives a reset", status="fail", points=0, max_points=1,
        message="the connection was reset", exchanges=[Exchange(
            request=request, error="reset" + HOSTILE, curl="curl -i http://127.0.0.1:8001/books")],
    )
    hidden = CheckResult(id="secret", title="Hidden one", status="fail", points=0, max_points=1,
                         hidden=True, message="a hidden check failed; its requests are not shown")
    return Report(exercise="books", exercise_id="x", title="Books", status="fail", score=0,
                  max_score=4, seed=1, url="http://127.0.0.1:8001", grader_version="0.1.0",
                  started_at=datetime(2025, 1, 1, tzinfo=UTC), duration_ms=12.5,
                  checks=[failed, broken, hidden])


def error_report() -> Report:
    return Report(exercise="books", exercise_id="x", title="Books", status="error", score=0,
                  max_score=10, seed=9, url="http://127.0.0.1:8001", grader_version="0.1.0",
                  started_at=datetime(2025, 1, 1, tzinfo=UTC), duration_ms=3,
                  message="nothing is listening on 127.0.0.1:8001 (connection refused). "
                          "Start your server first: apilab serve books")


# --- text -----------------------------------------------------------------------------------------


async def test_text_has_a_header_and_one_line_per_check(report):
    text = render(report, "text")
    head = text.splitlines()[:4]
    assert "A small books API (books)" in head[0]
    assert report.url in head[1] and str(SEED) in head[2]
    assert f"{report.score}/{report.max_score}" in head[3] and "FAIL" in head[3]
    for check in report.checks:
        [line] = [line for line in text.splitlines() if line.startswith("  ") and
                  check.title in line and ("✓" in line or "✗" in line)]
        assert ("✓" if check.passed else "✗") in line
        assert f"{check.points}/{check.max_points}" in line


async def test_text_explains_a_failed_check(report):
    text = render(report, "text")
    block = text.split("✗ POST /books answers 201 Created with a Location (create-201)")[1]
    block = block.split("\n✗ ")[0]
    assert "Request:" in block and f"POST {report.url}/books" in block
    assert "content-type: application/json" in block.lower()
    assert '"title":' in block  # the request body
    assert "Response:" in block and "HTTP/1.1 200 OK" in block
    assert "Expected: status 201" in block
    assert "Received: status 200 OK" in block
    assert "Why:      RFC 9110 §15.3.2" in block
    assert "Hint:     Return status 201" in block
    assert f"curl -i -X POST {report.url}/books" in block


async def test_text_shows_a_server_error_body_without_its_escape_codes(report):
    text = render(report, "text")
    assert "Internal Server Error\\x1b[31m (KeyError)" in text
    assert "\x1b" not in text


async def test_text_ends_with_the_replay_command_and_a_summary(report):
    *_, replay, summary = render(report, "text").rstrip("\n").splitlines()
    # hidden checks were included, so the run replays as a submission
    assert replay == f"Replay this run: apilab submit books --url {report.url} --seed {SEED}"
    assert summary.startswith(f"{report.passed} passed, {len(report.failed)} failed")
    assert "hidden checks included" in summary


async def test_text_shows_hidden_checks_as_pass_or_fail_only(report):
    text = render(report, "text", verbose=True)
    assert "[hidden] A book without a title is refused" in text
    assert "(invalid-input)" not in text  # no explanation block


async def test_verbose_text_shows_the_exchanges_of_passed_checks(report):
    assert report.checks[0].passed
    quiet, verbose = render(report, "text"), render(report, "text", verbose=True)
    assert "(list-books)" not in quiet
    assert "✓ GET /books lists books as JSON (list-books)" in verbose
    assert verbose.count("curl -i") > quiet.count("curl -i")


async def test_color_adds_ansi_only_when_asked(report):
    assert "\x1b[" in render(report, "text", color=True)
    assert "\x1b[" not in render(report, "text", color=False)


async def test_a_passing_report(books):
    with hs.serve_app(_solution_app()) as url:
        report = await grade(books, url, seed=SEED)
    text = render(report, "text")
    assert report.status == "pass", text
    assert "PASS" in text.splitlines()[3]
    assert "4 passed, 0 failed" in text and "Request:" not in text


def _solution_app() -> FastAPI:
    import importlib.util

    spec = importlib.util.spec_from_file_location("books_solution", BOOKS / "solution" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def test_text_for_an_error_report_says_why_and_what_to_do():
    text = render(error_report(), "text")
    assert "ERROR" in text
    assert "nothing is listening on 127.0.0.1:8001" in text
    assert "apilab serve books" in text
    assert "Nothing was graded." in text
    assert "Replay this run" not in text  # nothing ran, so there is nothing to replay


def test_text_escapes_every_control_character_from_the_server():
    text = render(hostile_report(), "text", verbose=True)
    for char in "\x00\x07\x1b\x9b\ud800\r\x7f\ufffe":
        assert char not in text
    assert "\\x1b[2J" in text and "\\ud800" in text
    assert "no response: reset" in text
    assert "… (body cut; 9000 bytes read)" in text
    assert "x-evil: " in text and "x-probe: " in text
    text.encode("utf-8")  # printable on any UTF-8 terminal


def test_text_shows_a_response_and_what_was_wrong_with_its_framing():
    report = make_report(passed=(False,))
    exchange = report.checks[0].exchanges[0]
    exchange.request.method = "HEAD"
    exchange.error = "your server sent 12 bytes of body after HEAD; a HEAD response ends ..."
    text = render(report, "text")
    response_at = text.index("HTTP/1.1 500 Internal Server Error")
    assert text.index("✗ your server sent 12 bytes of body after HEAD") > response_at


# --- json -----------------------------------------------------------------------------------------


async def test_json_is_the_schema_versioned_report(report):
    text = render(report, "json")
    assert f'"schema": {SCHEMA_VERSION}' in text
    assert Report.from_json(text) == report


def test_a_report_of_schema_1_still_loads():
    # As apilab wrote them before run fixtures and time limits: none of those fields.
    document = json.loads(make_report().to_json())
    document["schema"] = 1
    for name in ("services", "time_limits", "setup"):
        document.pop(name)
    for check in document["checks"]:
        check.pop("time_limit_s"), check.pop("blocked_by")
    old = Report.from_json(json.dumps(document))
    assert old.schema_version == 1 and old.setup == [] and old.time_limits is None
    assert old.checks[0].time_limit_s is None and old.checks[0].blocked_by == []
    render(old, "text"), render(old, "junit")  # every renderer still shows it


# --- junit ----------------------------------------------------------------------------------------


async def test_junit_has_one_testcase_per_check(report):
    root = ET.fromstring(render(report, "junit"))
    [suite] = root.iter("testsuite")
    cases = suite.findall("testcase")
    assert suite.get("name") == "books"
    assert int(suite.get("tests")) == len(cases) == len(report.checks)
    failures = suite.findall("testcase/failure")
    assert int(suite.get("failures")) == len(report.failed) == len(failures)
    assert suite.get("errors") == "0"
    assert {case.get("classname") for case in cases} == {"books"}
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["seed"] == str(SEED) and properties["url"] == report.url


async def test_junit_failure_carries_the_explanation(report):
    root = ET.fromstring(render(report, "junit"))
    [case] = [c for c in root.iter("testcase") if "(create-201)" in c.get("name")]
    failure = case.find("failure")
    assert failure.get("message").startswith("POST /books")
    assert "Expected: status 201" in failure.text
    assert "RFC 9110 §15.3.2" in failure.text
    assert "curl -i -X POST" in failure.text
    assert f"--seed {SEED}" in failure.text


async def test_junit_hidden_failures_show_no_requests(report):
    root = ET.fromstring(render(report, "junit"))
    [case] = [c for c in root.iter("testcase") if "(invalid-input)" in c.get("name")]
    failure = case.find("failure")
    assert failure.get("type") == "hidden"
    assert "curl" not in failure.text and "Request:" not in failure.text


def test_junit_for_an_error_report_is_a_single_error():
    root = ET.fromstring(render(error_report(), "junit"))
    [case] = root.iter("testcase")
    error = case.find("error")
    assert "nothing is listening" in error.get("message")
    assert root.get("errors") == "1" and root.get("failures") == "0"


def test_junit_stays_valid_xml_whatever_the_server_sent():
    document = render(hostile_report(), "junit")
    root = ET.fromstring(document)  # raises on NUL, ESC or a lone surrogate
    assert len(list(root.iter("testcase"))) == 3
    assert "\\x00" in document and "\\ud800" in document
    document.encode("utf-8")


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="text, json, junit"):
        render(error_report(), "yaml")  # type: ignore[arg-type]


def test_text_explains_the_first_failures_and_lists_the_rest():

    report = make_report(passed=(False,) * 5)
    text = render(report, "text")
    assert text.count("Reproduce:") == 3
    assert "2 more failed checks, in short (--verbose explains each one):" in text
    assert "  ✗ check-4: GET /c4 answered 500" in text
    assert render(report, "text", verbose=True).count("Reproduce:") == 5


def test_a_long_walk_shows_only_its_last_requests():

    report = make_report(passed=(False,))
    failed = report.checks[0]
    failed.exchanges = failed.exchanges * 30
    text = render(report, "text")
    assert text.count("curl -i") == 4
    assert "… 26 earlier requests (--verbose or --format json shows them all)" in text
    assert render(report, "text", verbose=True).count("curl -i") == 30


def test_the_replay_of_a_submission_is_a_submit_and_of_a_remote_run_allows_it():

    report = make_report()
    report.hidden_included = True
    assert "Replay this run: apilab submit hello-api --url http://127.0.0.1:8001 --seed 42" in (
        render(report, "text"))
    report.url = "http://192.0.2.10:8001"
    assert render(report, "text").count("--allow-remote") == 1
