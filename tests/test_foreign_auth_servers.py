"""Lesson 2's exercises graded against servers written from their READMEs alone, in Node's
standard library (tests/foreign_servers/), each making choices the README allows that the Python
reference does not. A correct foreign server scores full marks, hidden checks included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.catalog.loader import load_exercise
from grader.runner import grade
from tests.helpers import foreign_servers

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SERVERS = Path(__file__).resolve().parent / "foreign_servers"


@pytest.fixture(scope="module")
def node_servers(sandbox_url: str) -> Iterator[dict[str, str]]:
    """Both servers on ports of their own, trusting the session's sandbox."""
    programs = {slug: ["node", str(SERVERS / f"{slug.replace('-', '_')}.mjs")]
                for slug in ("private-notes", "api-keys")}
    with foreign_servers(programs, env={"PORT": "0", "SANDBOX_URL": sandbox_url}) as urls:
        yield urls


@pytest.mark.parametrize("slug", ["private-notes", "api-keys"])
async def test_a_correct_node_server_scores_full_marks(node_servers, sandbox_url, slug):
    exercise = load_exercise(ROOT / "exercises" / slug)
    report = await grade(exercise, node_servers[slug], seed=7, include_hidden=True,
                         services={"sandbox": sandbox_url})
    assert report.status == "pass", "\n".join(f"{c.id}: {c.message}" for c in report.failed)
    assert report.score == report.max_score == exercise.points
