"""Lesson 3's exercise graded against a server written from its README alone, in Node's standard
library (tests/foreign_servers/reading_list_v2.mjs), making choices the README allows that the
Python reference does not. The correct server scores full marks, hidden checks included; each
realistic mistake planted in it (`--mistake NAME`) fails exactly the checks that should see it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from apilab.catalog.loader import load_exercise
from grader.runner import grade
from tests.helpers import foreign_servers

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).resolve().parent / "foreign_servers" / "reading_list_v2.mjs"
EXERCISE = load_exercise(ROOT / "exercises" / "reading-list-v2")


@contextmanager
def node_server(*args: str) -> Iterator[str]:
    """The server on a port of its own, with an empty store; its URL."""
    with foreign_servers({"node": ["node", str(SERVER), *args]}, env={"PORT": "0"}) as urls:
        yield urls["node"]


async def test_a_correct_node_server_scores_full_marks():
    with node_server() as url:
        report = await grade(EXERCISE, url, seed=11, include_hidden=True)
    assert report.status == "pass", "\n".join(f"{c.id}: {c.message}" for c in report.failed)
    assert report.score == report.max_score == EXERCISE.points


@pytest.mark.parametrize(("mistake", "caught_by", "said"), [
    ("document-unannounced", {"deprecation-header", "sunset-header", "deprecation-links"},
     "GET /v1/openapi.json has no Deprecation header"),
    ("v2-list-in-v1-shape", {"lists-agree-v2"}, "lists an item without $.authors"),
    ("next-link-to-v1", {"lists-agree-v2"}, "or a next link that leaves this version"),
    ("sunset-one-digit-day", {"sunset-header"}, "Sunset is not an HTTP-date in IMF-fixdate form"),
])
async def test_a_planted_mistake_fails_the_checks_that_see_it(mistake, caught_by, said):
    with node_server("--mistake", mistake) as url:
        report = await grade(EXERCISE, url, seed=11, include_hidden=True)
    failed = {check.id: check.message for check in report.failed}
    assert set(failed) == caught_by
    assert any(said in message for message in failed.values()), failed
