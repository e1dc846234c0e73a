"""Lesson 2's exercises graded against servers written from their READMEs alone, in Node's
standard library (tests/foreign_servers/), each making choices the README allows that the Python
reference does not. A correct foreign server scores full marks, hidden checks included."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.catalog.loader import load_exercise
from grader.runner import grade

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SERVERS = Path(__file__).resolve().parent / "foreign_servers"


@pytest.fixture(scope="module")
def node_servers(sandbox_url: str) -> Iterator[dict[str, str]]:
    """Both servers on ports of their own, trusting the session's sandbox."""
    env = {**os.environ, "PORT": "0", "SANDBOX_URL": sandbox_url}
    processes = {slug: subprocess.Popen(["node", str(SERVERS / f"{slug.replace('-', '_')}.mjs")],
                                        stdout=subprocess.PIPE, text=True, env=env)
                 for slug in ("private-notes", "api-keys")}
    try:
        urls = {}
        for slug, process in processes.items():
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("listening "), f"{slug}: the server did not start ({line!r})"
            urls[slug] = f"http://127.0.0.1:{line.split()[1]}"
        yield urls
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize("slug", ["private-notes", "api-keys"])
async def test_a_correct_node_server_scores_full_marks(node_servers, sandbox_url, slug):
    exercise = load_exercise(ROOT / "exercises" / slug)
    report = await grade(exercise, node_servers[slug], seed=7, include_hidden=True,
                         services={"sandbox": sandbox_url})
    assert report.status == "pass", "\n".join(f"{c.id}: {c.message}" for c in report.failed)
    assert report.score == report.max_score == exercise.points
