"""The contract probes' budget bounds their whole wall time: setup, list walks and every request
included, a request in flight when it ends cut; what it cuts short is named, never failed.

The slow servers are real: reading-list's reference under uvicorn on a loopback port, behind an
ASGI layer that sleeps before every request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.app_servers import materialize, serve_app
from apilab.catalog.loader import load_exercise
from grader.contract.budget import Budget
from grader.contract.explore import prepare
from grader.render.text import render_text
from grader.runner import grade
from grader.wire import Limits

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = load_exercise(ROOT / "exercises" / "reading-list")
PROBES = EXERCISE.probes.checks
ONLY_PROBES = EXERCISE.model_copy(update={"checks": [c for c in EXERCISE.checks if c.id in PROBES]})
# What the probes' own time may exceed their budget by: the time is checked at every request and
# every example, so only the work between two of them can outlast it (milliseconds on a quiet
# machine; up to 0.4 s seen at a load of 19 on 2 cores).
USED_MARGIN = 0.5
# What the whole run may take beyond the budget: that, and the run's own start (a connection to
# see that the server listens, reading the contract, the fixture's preparations).
MARGIN = 1.5
SLOW_APP = r'''
import asyncio
import os

from reference import app as reference

DELAY = float(os.environ["APILAB_TEST_DELAY"])
LOG = os.environ["APILAB_TEST_LOG"]


async def app(scope, receive, send):
    if scope["type"] == "http":
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(f"{scope['method']} {scope['path']}\n")
        await asyncio.sleep(DELAY)
    await reference(scope, receive, send)
'''

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def hypothesis_ready() -> None:
    # Once per process and outside the budget (see `explore.prepare`): on a machine's very first
    # run it computes a table for seconds, which is not what these tests measure.
    prepare()


@pytest.fixture(scope="module")
def slow_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = materialize(EXERCISE, "solution", tmp_path_factory.mktemp("slow"))
    (folder / "app.py").rename(folder / "reference.py")
    (folder / "app.py").write_text(SLOW_APP, encoding="utf-8")
    return folder


def slow_server(folder: Path, delay: float, log: Path) -> Iterator[str]:
    """The slow reference at `folder`, each request written to `log` when it arrives."""
    return serve_app(folder, env={"APILAB_TEST_DELAY": str(delay), "APILAB_TEST_LOG": str(log)})


def test_each_check_gets_its_weight_of_what_is_left_and_the_last_gets_the_rest():
    budget = Budget(6.0, {"a": 3, "b": 1})
    with budget.spending() as setup:
        assert setup.ends == setup.budget_ends  # the setup may use all of it
    with budget.spending("a") as share:
        left = 6.0 - budget.used
        assert share.budget_ends - share.ends == pytest.approx(left / 4)
    with budget.spending("b") as share:
        assert share.ends == share.budget_ends
    assert 0 < budget.used < 1 and budget.remaining == pytest.approx(6.0 - budget.used)


def test_no_budget_is_unbounded():
    budget = Budget(float("inf"), {"a": 1})
    with budget.spending("a") as share:
        assert share.left() == float("inf")
    assert budget.summary().budget_s is None


@pytest.mark.timeout(120)
async def test_a_slow_server_keeps_the_probes_within_their_budget(slow_folder, tmp_path):
    # Every request takes 0.3 s: the probes' setup, walks and searches would take a minute.
    limits = Limits(probe_scale=0.5)  # reading-list's 6 s budget: 3 s
    budget = EXERCISE.probes.budget * limits.probe_scale
    with slow_server(slow_folder, 0.3, tmp_path / "requests.log") as url:
        started = time.perf_counter()
        report = await grade(ONLY_PROBES, url, seed=3, include_hidden=True, limits=limits)
        elapsed = time.perf_counter() - started
    # Getting Hypothesis ready comes before the budget, and the report states it beside it.
    assert elapsed <= budget + report.probes.ready_s + MARGIN, f"{elapsed:.2f} s for a {budget:g} s budget"
    assert report.status == "pass", [(c.id, c.message) for c in report.failed]
    assert report.probes is not None and report.probes.budget_s == budget
    assert report.probes.used_s <= budget + USED_MARGIN
    assert report.probes.cut_short and set(report.probes.cut_short) <= set(PROBES)
    shown = render_text(report)
    assert f"s used of a {budget:g} s budget" in shown and "; cut short by it: " in shown


@pytest.mark.timeout(120)
async def test_a_request_in_flight_when_the_budget_ends_is_cut(slow_folder, tmp_path):
    # Every request takes 6 s, its own timeouts allowing it: the setup's first request is still
    # in flight when the 2 s budget ends, so every kind of probe is cut short, none failed.
    limits = Limits(probe_scale=1 / 3, read_timeout=8, request_timeout=10)
    log = tmp_path / "requests.log"
    with slow_server(slow_folder, 6.0, log) as url:
        started = time.perf_counter()
        report = await grade(ONLY_PROBES, url, seed=3, include_hidden=True, limits=limits)
        elapsed = time.perf_counter() - started
    assert log.read_text(encoding="utf-8").startswith("POST /books\n"), "no request was in flight"
    assert elapsed <= 2 + report.probes.ready_s + MARGIN, f"{elapsed:.2f} s for a 2 s budget"
    assert report.status == "pass", [(c.id, c.message) for c in report.failed]
    assert report.probes.used_s <= 2 + USED_MARGIN
    assert sorted(report.probes.cut_short) == sorted(PROBES)
