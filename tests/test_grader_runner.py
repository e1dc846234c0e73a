"""The runner keeps its promise of a report whatever happens inside a check."""

from __future__ import annotations

import json
import subprocess
import sys

from fastapi import FastAPI

from grader.checks import registry
from grader.report import TimeLimits
from grader.runner import grade
from grader.wire import Limits
from tests import hostile_servers as hs


async def test_a_bug_in_a_check_costs_that_check_not_the_report(monkeypatch):
    @registry.check("broken-for-test")
    async def broken(ctx):
        """Proves nothing: it divides by zero, as a buggy check might."""
        return 1 / 0

    monkeypatch.setitem(registry.default().checks, "broken-for-test", registry.registration(broken))
    exercise = hs.exercise(
        {"id": "buggy", "title": "A buggy check", "points": 1, "use": "broken-for-test"},
        hs.get_json_check(),
    )
    with hs.serve_app(hs.echo_app()) as url:
        report = await grade(exercise, url, seed=1)
    buggy, after = report.checks
    assert buggy.status == "fail" and "ZeroDivisionError" in buggy.message
    assert "bug in apilab, not in your server" in buggy.message
    assert after.id == "lists-books"  # the run went on


# --- time limits ----------------------------------------------------------------------------------


async def test_a_check_stops_at_its_own_time_limit():
    check = {**hs.get_json_check(), "timeout": 1}
    with hs.HostileServers({"slow": hs.slow_ok(3)}) as servers:
        report = await grade(hs.exercise(check), servers.url("slow"), seed=1)
    [result] = report.checks
    assert result.status == "fail" and "longer than its limit of 1 s" in result.message
    assert result.time_limit_s == 1


async def test_a_check_may_ask_for_more_time_than_the_default_and_the_run_grows_with_it():
    slow = {**hs.get_json_check("slow-but-fine"), "timeout": 6}
    other = hs.get_json_check("default-limit")
    limits = Limits(check_timeout=1, run_timeout=4)
    with hs.HostileServers({"slow": hs.slow_ok(1.5)}) as servers:
        report = await grade(hs.exercise(slow, other), servers.url("slow"), seed=1, limits=limits)
    slow_result, default_result = report.checks
    assert slow_result.passed and slow_result.time_limit_s == 6  # 1.5 s: over the default of 1 s
    assert not default_result.passed and default_result.time_limit_s == 1
    assert report.time_limits == TimeLimits(check_s=1, run_s=4 + 5)


# In an interpreter of its own, where the contract probes are not loaded yet.
PROBES_LOADED_LATE = """
import json, sys, time
from apilab.catalog.loader import load_course_exercise
from apilab.paths import course_root
from grader.context import Run
from grader.runner import _with_probes_loaded

exercise = load_course_exercise(course_root(), "reading-list")
probes = [check for check in exercise.checks if "contract" in check.needs]
run = Run(None, {}, {}, 1, 10.0, 60.0, deadline=100.0)
early = _with_probes_loaded(exercise, exercise.checks[:4], run)
loaded_early = "hypothesis" in sys.modules
started = time.perf_counter()
late = _with_probes_loaded(exercise, probes, run)
took = time.perf_counter() - started
print(json.dumps([len(probes), early.deadline, loaded_early, "hypothesis" in sys.modules,
                  late.deadline - 100.0, took]))
"""


def test_the_probes_load_with_the_stage_that_needs_them_and_the_run_gets_that_time_back():
    result = subprocess.run([sys.executable, "-c", PROBES_LOADED_LATE], capture_output=True,
                            text=True, timeout=60, check=True)
    probes, early_deadline, loaded_early, loaded_late, given_back, took = json.loads(result.stdout)
    assert probes == 6
    assert early_deadline == 100.0 and not loaded_early, "the first stage needs no probes"
    assert loaded_late and 0 < given_back <= took


# --- JSON paths that select several values --------------------------------------------------------


def users_app(leak: bool) -> FastAPI:
    app = FastAPI()
    users = [{"id": 1, "name": "ada"}, {"id": 2, "name": "grace"}, {"id": 3, "name": "linus"}]
    if leak:
        users[1]["password"] = "hunter2"

    @app.get("/users")
    def list_users() -> dict:
        return {"items": users}

    return app


NO_PASSWORDS = {"id": "no-passwords", "title": "GET /users shows no password", "points": 1,
                "why": "OWASP API3:2023: excessive data exposure", "steps": [
                    {"method": "GET", "path": "/users", "expect": {"status": 200, "json": {
                        "$.items[*].password": {"present": False},
                        "$.items[*].name": {"type": "string"}}}}]}


async def test_a_password_in_one_item_of_a_list_fails_the_check():
    with hs.serve_app(users_app(leak=True)) as url:
        report = await grade(hs.exercise(NO_PASSWORDS), url, seed=1)
    [result] = report.checks
    assert result.status == "fail"
    assert result.expected == "$.items[*].password absent everywhere"
    assert result.received == "$['items'][1]['password'] = \"hunter2\""


async def test_a_list_without_passwords_passes_it():
    with hs.serve_app(users_app(leak=False)) as url:
        report = await grade(hs.exercise(NO_PASSWORDS), url, seed=1)
    assert report.checks[0].passed, report.checks[0].message


# --- run fixtures ---------------------------------------------------------------------------------

ITEM = {"use": "created-resource", "with": {"collection": "/items", "body": {"name": "${word}"}}}
MISSING = {"use": "created-resource", "with": {"collection": "/nowhere", "body": {}}}


def reads(fixture: str, check_id: str = "reads-item", **extra) -> dict:
    return {"id": check_id, "title": "Reads the item", "points": 1, "needs": [fixture], **extra,
            "steps": [{"method": "GET", "path": f"${{{fixture}.url}}",
                       "expect": {"status": 200, "json": {"$.name": "${word}"}}}]}


async def test_a_fixture_of_hidden_checks_only_is_hidden_too():
    exercise = hs.exercise(reads("item", hidden=True), data={"word": {"kind": "word"}},
                           fixtures={"item": ITEM})
    with hs.serve_app(hs.echo_app()) as url:
        shown = await grade(exercise, url, seed=1, include_hidden=True)
        skipped = await grade(exercise, url, seed=1)
    [setup] = shown.setup
    assert setup.passed and setup.hidden and setup.exchanges == []
    assert shown.checks[0].passed
    assert skipped.setup == [] and skipped.checks == []  # no check needs it: it is not prepared


async def test_a_fixture_built_on_a_failed_one_is_not_prepared():
    chained = {**ITEM, "needs": ["broken"], "with": {"collection": "/items",
                                                     "body": {"name": "${broken.id}"}}}
    exercise = hs.exercise(reads("item"), hs.get_json_check("independent"),
                           data={"word": {"kind": "word"}},
                           fixtures={"broken": MISSING, "item": chained})
    with hs.serve_app(hs.echo_app()) as url:
        report = await grade(exercise, url, seed=1)
    broken, item = report.setup
    assert not broken.passed and "could not be created" in broken.message
    assert broken.stopped_while and broken.hint.startswith("Setup stopped while creating")
    assert not item.passed and item.message == "not prepared: it builds on broken, which failed"
    assert item.exchanges == []
    reader, independent = report.checks
    assert reader.blocked_by == ["item"] and reader.exchanges == []
    assert independent.id == "independent"  # checks that need nothing still run

