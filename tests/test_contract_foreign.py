"""The contract probes judge the wire, not one stack's habits: a correct reading-list server in
Node's standard library (tests/foreign_servers/contract_node.mjs), which makes every choice the
contract leaves open differently from the reference, passes every check; each realistic mistake
planted in it is caught by the probe that looks for it.

Each server is a real Node process on a loopback port.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from apilab.catalog.loader import load_exercise
from grader.runner import grade
from tests.helpers import foreign_servers, grade_by_one_probe

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = load_exercise(ROOT / "exercises" / "reading-list")
SERVER = Path(__file__).parent / "foreign_servers" / "contract_node.mjs"
SEED = 5

# Each planted mistake, and the probe that must catch it. The hand-written checks miss all of
# them but number-coercion (invalid-pages-problem sends the README's "300" and sees a 201).
MISTAKES = {
    "utf16-length": "contract-accepts-valid",  # an emoji counted as two characters
    "number-coercion": "contract-rejects-invalid",  # pages: true stored as 1
    "trim-text": "contract-accepts-valid",  # " x " stored as "x"
    "patch-unchecked": "contract-rejects-invalid",  # PATCH stores any status
    "cursor-crash": "contract-parameters",  # a garbage cursor is a 500
    "html-404": "contract-allow-and-routes",  # an unknown path is an HTML page
    "stale-list": "contract-lists-match-items",  # the list shows the book as it was created
    "plain-405": "contract-errors-are-problems",  # a 405 in text/plain
    "partial-patch": "contract-rejects-invalid",  # a refused PATCH stores its valid fields
}

pytestmark = pytest.mark.slow


@contextmanager
def node_server(mistake: str | None = None) -> Iterator[str]:
    """The Node server (with `mistake` planted) on a free loopback port; its URL."""
    planted = ["--mistake", mistake] if mistake else []
    with foreign_servers({"node": ["node", str(SERVER), *planted, "0"]}) as urls:
        yield urls["node"]


def failures(report) -> str:
    return "\n".join(f"{c.id}: {c.message}" for c in report.failed) or report.message or ""


def test_every_mistake_the_server_can_plant_is_tested():
    planted = SERVER.read_text(encoding="utf-8").split("const MISTAKES = new Set([")[1].split("]);")[0]
    assert set(re.findall(r'^\s+"([a-z0-9-]+)",', planted, re.MULTILINE)) == set(MISTAKES)


@pytest.mark.timeout(180)
async def test_a_correct_server_in_another_stack_passes_every_check():
    # The learner's budget: what the probes reach depends on the machine's load, but whatever
    # they reach, a correct server passes it.
    with node_server() as url:
        report = await grade(EXERCISE, url, seed=SEED, include_hidden=True)
    assert report.status == "pass", failures(report)
    assert {c.id for c in report.checks} >= set(EXERCISE.probes.checks)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
async def test_each_planted_mistake_is_caught_by_its_probe(mistake):
    probe = MISTAKES[mistake]
    with node_server(mistake) as url:
        report = await grade_by_one_probe(EXERCISE, probe, url, SEED, timeout=150)
    assert report.status != "error", report.message
    assert [c.id for c in report.failed] == [probe], failures(report)
    failed = report.failed[0]
    assert "found among" in failed.message and failed.exchanges, failed.message


@pytest.mark.timeout(180)
async def test_a_seed_replays_the_same_minimal_failure():
    probe = MISTAKES["cursor-crash"]
    shown = []
    for _ in range(2):  # a fresh server each time, as `apilab check --seed` replays on a restart
        with node_server("cursor-crash") as url:
            report = await grade_by_one_probe(EXERCISE, probe, url, SEED, timeout=150)
        failed = report.failed[0]
        shown.append((failed.message.split(" (found among")[0],
                      [e.request.url.split("/", 3)[-1] for e in failed.exchanges]))
    assert shown[0] == shown[1]
    assert "answered 500" in shown[0][0] and "cursor" in shown[0][0], shown[0]
