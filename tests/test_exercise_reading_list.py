"""Exercise 1 (reading-list) grades as designed, beyond what `apilab verify` proves (see
test_verify.py): full marks with other seeds, and failures that explain themselves.

Real uvicorn servers on loopback ports, started once for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.app_servers import materialize, serve_app, serve_apps
from apilab.catalog.loader import load_exercise
from apilab.catalog.models import Exercise
from grader.runner import grade

EXERCISE_DIR = Path(__file__).resolve().parent.parent / "exercises" / "reading-list"
EXERCISE = load_exercise(EXERCISE_DIR)
MUTANTS = {mutant.name: mutant for mutant in EXERCISE.mutants}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    return EXERCISE


@pytest.fixture(scope="module")
def solution_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = materialize(EXERCISE, "solution", tmp_path_factory.mktemp("solution"))
    with serve_app(folder) as url:
        yield url


@pytest.fixture(scope="module")
def mutant_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("mutants")
    names = ["allow-first-route-only", "filter-ignored"]
    folders = [materialize(EXERCISE, MUTANTS[name], root / name) for name in names]
    with serve_apps(folders) as urls:
        yield dict(zip(names, urls, strict=True))


def failures(report) -> str:
    return "\n".join(f"{c.id}: {c.message} (expected {c.expected}; received {c.received})"
                     for c in report.failed)


def test_the_exercise_is_well_formed():
    assert len(EXERCISE.checks) >= 15
    assert sum(check.hidden for check in EXERCISE.checks) >= 2
    assert len(EXERCISE.mutants) >= 8
    assert EXERCISE.points == EXERCISE.max_score
    for check in EXERCISE.checks:
        assert check.hint and "\n" not in check.why, check.id


def test_the_readme_states_every_check():
    readme = EXERCISE.readme.read_text(encoding="utf-8")
    for check in EXERCISE.checks:
        assert f"| `{check.id}` | {check.points} |" in readme, check.id


def test_hints_speak_http_not_one_framework():
    # Learners write this exercise in any language: a framework tip may only follow the general
    # advice, introduced by "In FastAPI:".
    framework_words = ("FastAPI", "Pydantic", "Starlette", "Response(", "typing.", "dict.",
                       "methods=[", "exclude_unset")
    for check in EXERCISE.checks:
        general = (check.hint or "").split("In FastAPI:")[0]
        assert not [w for w in framework_words if w in general], check.id


@pytest.mark.parametrize("seed", [1, 987654321])  # verify uses a third
async def test_the_solution_scores_full_marks(solution_url, seed):
    report = await grade(EXERCISE, solution_url, seed=seed, include_hidden=True)
    assert report.status == "pass", failures(report)
    assert report.score == report.max_score == EXERCISE.points


async def test_the_solution_passes_without_hidden_checks_too(solution_url):
    report = await grade(EXERCISE, solution_url, seed=5)
    assert report.status == "pass", failures(report)
    assert report.max_score == sum(c.points for c in EXERCISE.checks if not c.hidden)


async def test_a_failed_check_explains_itself(mutant_urls):
    report = await grade(EXERCISE, mutant_urls["allow-first-route-only"], seed=3, only="allow-collection")
    result = next(c for c in report.checks if c.id == "allow-collection")
    assert "missing POST" in result.message
    assert result.expected.startswith("Allow: GET, HEAD, POST")
    assert result.why.startswith("RFC 9110 §15.5.6")
    assert result.exchanges and result.exchanges[-1].response.status == 405


async def test_hidden_checks_do_not_show_their_requests(mutant_urls):
    report = await grade(EXERCISE, mutant_urls["filter-ignored"], seed=3, include_hidden=True,
                         only="filter-by-status")
    hidden = next(c for c in report.checks if c.id == "filter-by-status")
    assert hidden.status == "fail" and hidden.exchanges == [] and hidden.received is None
