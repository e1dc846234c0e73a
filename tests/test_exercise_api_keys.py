"""The API-keys exercise grades as designed, beyond what `apilab verify` proves: full marks with
another seed, twice in a row on one server (the lockout check leaves no lockout behind), and a
report that never holds a key in full."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.app_servers import materialize, serve_app
from apilab.catalog.loader import load_exercise
from grader.runner import grade

EXERCISE = load_exercise(Path(__file__).resolve().parent.parent / "exercises" / "api-keys")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def solution_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_app(materialize(EXERCISE, "solution", tmp_path_factory.mktemp("api-keys"))) as url:
        yield url


def test_the_exercise_is_well_formed():
    assert len(EXERCISE.checks) >= 10 and sum(c.hidden for c in EXERCISE.checks) >= 2
    assert len(EXERCISE.mutants) >= 5 and EXERCISE.points == EXERCISE.max_score
    readme = EXERCISE.readme.read_text(encoding="utf-8")
    for check in EXERCISE.checks:
        assert f"| `{check.id}` | {check.points} |" in readme, check.id
        assert re.search(r"RFC \d+|OWASP API\d|Lesson policy", check.why), check.id


async def test_the_solution_scores_full_marks_twice_in_a_row(solution_url):
    for seed in (1, 2):
        report = await grade(EXERCISE, solution_url, seed=seed, include_hidden=True)
        assert report.status == "pass", [(c.id, c.message) for c in report.failed]
    stored = report.to_json()
    assert not re.search(r"ak_[\w-]{30,}", stored), "a whole API key in the report"
    assert "correct-horse-battery-staple" not in stored


# The first 9 requests with a key answer slowly, as a server on a machine under load would: the
# first round of wrong-keys-expire cannot land its batch of wrong keys inside the window.
SLOW_AT_FIRST = '''

_slow_left = [9]


@app.middleware("http")
async def _slow_at_first(request, call_next):
    import asyncio

    if "x-api-key" in request.headers and _slow_left[0] > 0:
        _slow_left[0] -= 1
        await asyncio.sleep(0.3)
    return await call_next(request)
'''


async def test_wrong_keys_sent_too_late_to_judge_are_sent_again_not_held_against_the_server(tmp_path):
    folder = materialize(EXERCISE, "solution", tmp_path / "slow")
    with (folder / "app.py").open("a", encoding="utf-8") as app:
        app.write(SLOW_AT_FIRST)
    with serve_app(folder) as url:
        report = await grade(EXERCISE, url, seed=3, include_hidden=True, only="wrong-keys-expire")
    [result] = report.checks
    assert (result.id, result.status) == ("wrong-keys-expire", "pass"), result.message
