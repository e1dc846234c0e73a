"""The grader always ends, in bounded time and memory, with a message a learner can act on.

Each case grades a real loopback server that misbehaves on purpose (see `hostile_servers`) with
short limits, and checks three things: `grade` returned within the run limit (a correctness bound
with a generous margin, not a performance target), the check failed, and the message says in plain
words what happened.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from grader.report import Report
from grader.runner import grade
from grader.target import TargetError
from grader.wire import Limits
from tests import hostile_servers as hs

LIMITS = Limits(connect_timeout=1, read_timeout=1, request_timeout=2, check_timeout=3,
                run_timeout=10, max_body_bytes=1024 * 1024)
MARGIN = 2.0  # seconds above run_timeout that still count as "ended in bounded time"
PEAK_MEMORY = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def servers():
    behaviours = {
        "silent": hs.silent,
        "reset": hs.reset,
        "endless-slow": hs.endless_slow,
        "endless-fast": hs.endless_fast,
        "huge": hs.huge,
        "garbage": hs.garbage,
        "bad-json": hs.bad_json,
        "half-body": hs.half_body,
        "slow-ok": hs.slow_ok(0.8),
    }
    with hs.HostileServers(behaviours) as running:
        # Redirect targets name the port of a real server, so only the grader's rule stops them.
        other = f"http://127.0.0.2:{running.ports['silent']}/books"
        extra = {"redirect-evil": hs.redirect_to("http://evil.example/books"),
                 "redirect-other-host": hs.redirect_to(other)}
        with hs.HostileServers(extra) as redirects:
            running.ports.update(redirects.ports)
            yield running


async def timed_grade(url: str, *checks: dict, limits: Limits = LIMITS) -> tuple[Report, float]:
    exercise = hs.exercise(*(checks or (hs.get_json_check(),)))
    started = time.monotonic()
    report = await grade(exercise, url, seed=7, limits=limits)
    elapsed = time.monotonic() - started
    assert elapsed < limits.run_timeout + MARGIN, f"grade took {elapsed:.1f} s"
    return report, elapsed


def only_failure(report: Report) -> str:
    assert report.status == "fail"
    [check] = report.checks
    assert check.status == "fail" and check.points == 0
    return check.message


@pytest.mark.parametrize(
    ("server", "words"),
    [
        ("silent", "sent nothing"),
        ("reset", "reset"),
        ("endless-slow", "still arriving"),
        ("garbage", "not valid HTTP"),
        ("bad-json", "not valid JSON"),
        ("half-body", "hung mid-body"),
        ("redirect-evil", "not on your server"),
        ("redirect-other-host", "not on your server"),
    ],
)
async def test_a_misbehaving_server_fails_the_check_with_a_plain_message(servers, server, words):
    check = hs.get_json_check(follow_redirects=server.startswith("redirect"))
    report, _ = await timed_grade(servers.url(server), check)
    message = only_failure(report)
    assert words in message
    assert "bytearray" not in message and "Traceback" not in message  # words, not Python


async def test_a_redirect_off_the_host_is_never_followed(servers):
    check = hs.get_json_check(follow_redirects=True)
    report, _ = await timed_grade(servers.url("redirect-evil"), check)
    [check_result] = report.checks
    # Only the request to the learner's server was made; the 302 is recorded, evil.example is not.
    sent = [e.request.url for e in check_result.exchanges]
    assert sent == [servers.url("redirect-evil") + "/books"]
    assert check_result.exchanges[0].response.status == 302


@pytest.mark.parametrize("server", ["huge", "endless-fast", "endless-slow"])
async def test_huge_and_endless_bodies_are_read_in_bounded_memory(servers, server):
    tracemalloc.start()
    try:
        report, _ = await timed_grade(servers.url(server))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = only_failure(report)
    assert peak < PEAK_MEMORY, f"peak {peak / 1e6:.1f} MB while grading"
    for exchange in report.checks[0].exchanges:
        if exchange.response:
            assert exchange.response.body_size <= LIMITS.max_body_bytes
            assert exchange.response.body_truncated
            assert len(exchange.response.body) <= LIMITS.excerpt_chars
    if server == "endless-slow":
        assert "still arriving" in message
    else:
        assert "larger than the grader reads" in message


async def test_the_wire_error_is_recorded_on_the_exchange(servers):
    report, _ = await timed_grade(servers.url("reset"))
    [exchange] = report.checks[0].exchanges
    assert exchange.response is None
    assert "reset" in exchange.error
    assert exchange.curl.startswith("curl -i ")


async def test_nothing_listening_is_an_error_report_naming_the_address():
    url = f"http://127.0.0.1:{hs.free_port()}"
    exercise = hs.exercise(hs.get_json_check())
    started = time.monotonic()
    report = await grade(exercise, url, seed=7, limits=LIMITS, start_hint="apilab serve 1")
    assert time.monotonic() - started < LIMITS.connect_timeout + MARGIN
    assert report.status == "error"
    assert report.checks == [] and report.score == 0
    assert "nothing is listening" in report.message
    assert url.removeprefix("http://") in report.message
    assert "apilab serve 1" in report.message


@pytest.mark.parametrize(
    "url", ["http://192.0.2.10:8000", "http://[2001:db8::1]/", "http://10.0.0.1", "ftp://127.0.0.1"])
async def test_non_loopback_targets_are_refused_without_allow_remote(url):
    with pytest.raises(TargetError):
        await grade(hs.exercise(hs.get_json_check()), url, seed=7, limits=LIMITS)


async def test_the_run_limit_stops_a_long_sequence_of_slow_checks(servers):
    limits = Limits(connect_timeout=1, read_timeout=1, request_timeout=2, check_timeout=3,
                    run_timeout=2)
    checks = [hs.get_json_check(f"slow-{n}") for n in range(8)]
    report, elapsed = await timed_grade(servers.url("slow-ok"), *checks, limits=limits)
    assert elapsed < limits.run_timeout + MARGIN
    assert len(report.checks) == 8  # every check is reported, run or not
    assert report.checks[0].status == "pass"
    skipped = [c for c in report.checks if c.message.startswith("not run:")]
    assert skipped, [c.message for c in report.checks]
    assert all("the whole run reached its time limit" in c.message for c in skipped)
    assert all(not c.exchanges for c in skipped)
    assert report.status == "fail"


async def test_a_slow_check_is_cut_at_its_own_limit(servers):
    limits = Limits(connect_timeout=1, read_timeout=1, request_timeout=2, check_timeout=1.5,
                    run_timeout=10)
    steps = [{"method": "GET", "path": "/books", "expect": {"status": 200}}] * 5
    check = {"id": "many-steps", "title": "Many slow steps", "points": 1, "steps": steps}
    report, elapsed = await timed_grade(servers.url("slow-ok"), check, limits=limits)
    assert elapsed < limits.check_timeout + MARGIN
    assert "longer than its limit" in only_failure(report)


async def test_a_server_that_stopped_answering_is_given_up_on_after_three_checks(servers):
    checks = [hs.get_json_check(f"check-{n}") for n in range(6)]
    report, elapsed = await timed_grade(servers.url("silent"), *checks)
    messages = [check.message for check in report.checks]
    assert all("sent nothing" in message for message in messages[:3])
    assert all(message.startswith("not run: your server stopped answering (3 checks in a row")
               for message in messages[3:])
    assert elapsed < 3 * LIMITS.request_timeout + MARGIN  # not six checks' worth of waiting
