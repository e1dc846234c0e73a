"""Lesson 3's exercise (reading-list-v2) grades as designed, beyond what `apilab verify` proves:
full marks with other seeds, a contract file that is valid and agrees with the checks, and
failures that explain themselves. Real uvicorn servers on loopback ports, started once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from apilab.app_servers import materialize, serve_apps
from apilab.catalog.loader import load_exercise
from apilab.catalog.models import Exercise
from grader.checks.openapi_documents import listed_operations
from grader.runner import grade

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = load_exercise(ROOT / "exercises" / "reading-list-v2")
LESSON_1 = load_exercise(ROOT / "exercises" / "reading-list")
LESSON_1_CHECKS = LESSON_1.own_checks  # its contract probes stay with its own contract
OWN = [check for check in EXERCISE.checks if check.base_path != "/v1"]
MUTANTS = {mutant.name: mutant for mutant in EXERCISE.mutants}
SHOWN = ["sunset-numeric-zone", "lossy-round-trip", "v1-pages-renamed-too", "v1-shows-first-author"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("reading-list-v2")
    sources = {"solution": "solution", **{name: MUTANTS[name] for name in SHOWN}}
    folders = [materialize(EXERCISE, source, root / name) for name, source in sources.items()]
    with serve_apps(folders) as served:
        yield dict(zip(sources, served, strict=True))


def only(*ids: str) -> Exercise:
    """The exercise with just these checks: a test of one explanation grades one check."""
    return EXERCISE.model_copy(update={"checks": [c for c in EXERCISE.checks if c.id in ids]})


def failures(report) -> str:
    return "\n".join(f"{c.id}: {c.message} (expected {c.expected}; received {c.received})"
                     for c in report.failed)


def test_the_exercise_is_well_formed():
    assert len(OWN) >= 20 and sum(check.hidden for check in OWN) >= 2
    assert len(EXERCISE.mutants) >= 10
    assert EXERCISE.points == EXERCISE.max_score
    for check in OWN:
        assert check.hint and "\n" not in check.why, check.id


def test_v1_is_every_check_of_lesson_1_under_v1():
    included = EXERCISE.checks[: len(LESSON_1_CHECKS)]
    assert [(c.id, c.base_path) for c in included] == [(f"v1-{c.id}", "/v1") for c in LESSON_1_CHECKS]


def test_the_readme_states_every_check():
    readme = EXERCISE.readme.read_text(encoding="utf-8")
    for check in OWN:
        assert f"| `{check.id}` | {check.points} |" in readme, check.id
    points = sum(c.points for c in LESSON_1_CHECKS)
    hidden = sum(c.hidden for c in LESSON_1_CHECKS)
    said = {2: "two", 3: "three", 4: "four", 5: "five"}[hidden]
    assert f"{len(LESSON_1_CHECKS)} checks, {points} points, {said} of them hidden" in readme


def test_hints_speak_http_not_one_framework():
    framework_words = ("FastAPI", "Pydantic", "Starlette", "Response(", "typing.", "dict.",
                       "methods=[", "exclude_unset")
    for check in OWN:
        general = (check.hint or "").split("In FastAPI:")[0]
        assert not [w for w in framework_words if w in general], check.id


def test_the_contract_file_is_valid_and_lists_what_the_checks_expect():
    contract = yaml.safe_load((EXERCISE.root / "openapi.yaml").read_text(encoding="utf-8"))
    validate(contract)
    listed = listed_operations({**contract, "servers": []})
    for check in OWN:
        if check.use == "openapi-operations":
            for path, methods in check.params["operations"].items():
                for method in methods:
                    assert (path.replace("{id}", "{}"), method) in listed, (check.id, path, method)


async def test_the_solution_scores_full_marks_with_another_seed(urls):
    report = await grade(EXERCISE, urls["solution"], seed=987654321, include_hidden=True)  # verify: another
    assert report.status == "pass", failures(report)
    assert report.score == report.max_score == EXERCISE.points


async def test_a_malformed_sunset_is_explained(urls):
    report = await grade(only("sunset-header"), urls["sunset-numeric-zone"], seed=3)
    result = next(c for c in report.checks if c.id == "sunset-header")
    assert "IMF-fixdate" in result.message and result.received.endswith("+0000")
    assert result.why.startswith("RFC 8594 §3")


async def test_a_lossy_round_trip_shows_what_was_lost(urls):
    report = await grade(only("round-trip-keeps-authors"), urls["lossy-round-trip"], seed=3)
    result = next(c for c in report.checks if c.id == "round-trip-keeps-authors")
    assert "$.authors" in result.message
    assert result.exchanges[-1].request.method == "GET" and "/v2/books/" in result.exchanges[-1].request.url


async def test_v1_broken_by_the_v2_change_fails_lesson_1s_checks_under_v1(urls):
    report = await grade(only("v1-create-201"), urls["v1-pages-renamed-too"], seed=3)
    result = next(c for c in report.checks if c.id == "v1-create-201")
    assert result.status == "fail" and "/v1/books" in result.message
    assert result.exchanges[0].request.url.endswith("/v1/books")


async def test_hidden_checks_do_not_show_their_requests(urls):
    report = await grade(only("lists-agree"), urls["v1-shows-first-author"], seed=3,
                         include_hidden=True)
    hidden = next(c for c in report.checks if c.id == "lists-agree")
    assert hidden.hidden and hidden.status == "fail"
    assert hidden.exchanges == [] and hidden.received is None
