"""Run fixtures and services, end to end: the services course's exercise (author-cards) creates an
author in a real sandbox and a card on a real learner's server once per run, and its checks share
both. A fixture that fails is reported once, as setup, and the checks that need it never run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from apilab.app_servers import materialize, serve_apps
from apilab.catalog.loader import load_course
from apilab.ports import free_port
from grader.render import render
from grader.report import Report
from grader.runner import grade
from grader.services import ServiceTargetError
from tests import hostile_servers as hs
from tests.helpers import SERVICES_COURSE

EXERCISE = load_course(SERVICES_COURSE).exercise("author-cards")
MUTANTS = {mutant.name: mutant for mutant in EXERCISE.mutants}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def servers(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The solution and two mutants, each reading the sandbox through SANDBOX_URL."""
    root = tmp_path_factory.mktemp("author-cards")
    sources = {"solution": "solution", "no-location": MUTANTS["no-location"],
               "leaks-sandbox-url": MUTANTS["leaks-sandbox-url"]}
    folders = [materialize(EXERCISE, source, root / name) for name, source in sources.items()]
    with serve_apps(folders, env={"SANDBOX_URL": sandbox_url}) as urls:
        yield dict(zip(sources, urls, strict=True))


async def graded(url: str, sandbox_url: str, seed: int = 7) -> Report:
    return await grade(EXERCISE, url, seed=seed, services={"sandbox": sandbox_url})


async def test_fixtures_are_prepared_once_and_shared_by_the_checks(servers, sandbox_url):
    report = await graded(servers["solution"], sandbox_url)
    assert report.status == "pass", [(c.id, c.message) for c in report.checks]
    author, card = report.setup
    assert (author.name, author.status, card.name, card.status) == ("author", "pass", "card", "pass")
    # The author was created in the sandbox, the card on the learner's server, once each.
    assert [e.request.line for e in author.exchanges] == [f"POST {sandbox_url}/authors"]
    assert [e.request.method for e in card.exchanges] == ["POST"]
    assert card.needed_by == ["card-shows-author", "cards-list"]
    posts = [e for c in report.checks for e in c.exchanges if e.request.line.endswith("/cards")
             and e.request.method == "POST"]
    assert len(posts) == 1  # only unknown-author-422's own request: the card was not made again
    shows = next(c for c in report.checks if c.id == "card-shows-author")
    location = card.exchanges[0].response.header("location")
    assert [e.request.url for e in shows.exchanges] == [servers["solution"] + location]
    assert report.services == {"sandbox": sandbox_url}


async def test_a_failed_fixture_is_reported_once_and_its_checks_never_run(servers, sandbox_url):
    report = await graded(servers["no-location"], sandbox_url)
    assert report.status == "fail"
    author, card = report.setup
    assert author.passed and not card.passed
    assert "without a Location header" in card.message and card.exchanges
    blocked = {c.id: c for c in report.checks if c.blocked_by}
    assert set(blocked) == {"card-shows-author", "cards-list"}
    for check in blocked.values():
        assert check.blocked_by == ["card"] and check.exchanges == [] and check.points == 0
        assert "not run: it needs card, which could not be prepared" in check.message
    assert next(c for c in report.checks if c.id == "unknown-author-422").passed

    text = render(report, "text")
    assert text.count("without a Location header") == 1  # explained once, as setup
    assert "✗ Setup: a card on your server for that author (card)" in text
    assert "Not run:  card-shows-author, cards-list (they need it)" in text

    root = ET.fromstring(render(report, "junit"))
    [suite] = root.iter("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "2")
    [setup_failure] = [c for c in suite.iter("testcase") if c.get("name").startswith("setup: a card")]
    assert setup_failure.find("failure").get("type") == "setup"
    assert len(suite.findall("testcase/skipped")) == 2

    document = json.loads(render(report, "json"))
    assert document["setup"][1]["name"] == "card" and document["setup"][1]["status"] == "fail"
    assert Report.from_json(render(report, "json")) == report


async def test_absent_on_a_wildcard_fails_when_one_listed_item_leaks(servers, sandbox_url):
    report = await graded(servers["leaks-sandbox-url"], sandbox_url)
    [failed] = report.failed
    assert failed.id == "cards-list"
    assert failed.expected == "$.items[*].sandbox_url absent everywhere"
    assert failed.received.startswith("$['items'][0]['sandbox_url'] = ")


async def test_a_check_with_its_own_time_limit_grows_the_runs_and_says_so(servers, sandbox_url):
    report = await graded(servers["solution"], sandbox_url)
    assert report.time_limits.check_s == 20 and report.time_limits.run_s == 120 + (30 - 20)
    limits = {c.id: c.time_limit_s for c in report.checks}
    assert limits == {"card-shows-author": 30, "cards-list": 20, "unknown-author-422": 20}
    assert "  Limits  20 s a check (card-shows-author: 30 s), 130 s the run" in render(report, "text")
    assert f"--sandbox-url {sandbox_url} --seed 7" in render(report, "text")


async def test_nothing_is_graded_when_a_declared_service_is_not_running(servers):
    report = await graded(servers["solution"], f"http://127.0.0.1:{free_port()}")
    assert report.status == "error" and report.checks == [] and report.setup == []
    assert "This exercise needs the sandbox, which is not running at" in report.message
    assert "`apilab sandbox`" in report.message


@pytest.mark.parametrize(("services", "says"), [
    (None, "no address was given for it"),
    ({"sandbox": "http://192.0.2.10:8000"}, "must run on this machine"),
    ({"sandbox": "sandbox:8000"}, "not a usable address"),
])
async def test_a_service_url_the_grader_may_not_use_is_refused(services, says):
    with pytest.raises(ServiceTargetError, match=says) as refused:
        await grade(EXERCISE, "http://127.0.0.1:9", services=services)
    assert refused.value.service == "sandbox"


def test_apilab_check_names_the_sandbox_option_and_how_to_start_it(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from apilab.cli import main

    monkeypatch.setenv("APILAB_COURSE", str(SERVICES_COURSE))
    monkeypatch.delenv("SANDBOX_URL", raising=False)
    runner = CliRunner()
    refused = runner.invoke(main, ["check", "author-cards", "--url", "http://127.0.0.1:9",
                                   "--sandbox-url", "http://192.0.2.10:8000"])
    assert refused.exit_code == 2 and "--sandbox-url" in refused.output
    with hs.serve_app(hs.echo_app()) as learner:  # the learner's server is up, the sandbox is not
        down = runner.invoke(main, ["check", "author-cards", "--url", learner,
                                    "--sandbox-url", f"http://127.0.0.1:{free_port()}"])
    assert down.exit_code == 2, down.output
    assert "needs the sandbox, which is not running" in down.output and "`apilab sandbox`" in down.output


def test_the_services_course_verifies_with_its_sandbox_started_for_it(tmp_path):
    env = {**os.environ, "APILAB_COURSE": str(SERVICES_COURSE), "APILAB_HOME": str(tmp_path)}
    env.pop("SANDBOX_URL", None)  # verify starts a sandbox of its own and passes its URL on
    result = subprocess.run([sys.executable, "-m", "apilab", "verify", "--jobs", "2"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "✓ author-cards: solution: passes every check (5/5)" in lines
    assert "✓ author-cards: mutant no-location: caught by card-shows-author, cards-list" in lines
    assert "✓ author-cards: contract: openapi.yaml and README.md agree (3 routes, 1 field tables, " \
           "0 query parameters)" in lines
    assert lines[-1] == "6 passed, 0 failed"
