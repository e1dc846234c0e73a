"""The resource-server exercise (private-notes) grades as designed, beyond what `apilab verify`
proves: full marks with another seed, a report that never holds a token in full, and failures
that explain themselves. Real servers: the session's sandbox, and uvicorn for the solution."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.app_servers import materialize, serve_apps
from apilab.catalog.loader import load_exercise
from grader.report import Report
from grader.runner import grade

EXERCISE = load_exercise(Path(__file__).resolve().parent.parent / "exercises" / "private-notes")
MUTANTS = {mutant.name: mutant for mutant in EXERCISE.mutants}
FRAMEWORK_WORDS = ("FastAPI", "Pydantic", "Starlette", "joserfc", "Depends", "HTTPException")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def servers(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The solution and two mutants, trusting the session's sandbox."""
    root = tmp_path_factory.mktemp("private-notes")
    sources = {"solution": "solution", "no-audience-check": MUTANTS["no-audience-check"],
               "others-note-readable": MUTANTS["others-note-readable"]}
    folders = [materialize(EXERCISE, source, root / name) for name, source in sources.items()]
    with serve_apps(folders, env={"SANDBOX_URL": sandbox_url}) as urls:
        yield dict(zip(sources, urls, strict=True))


def failures(report) -> str:
    return "\n".join(f"{c.id}: {c.message} ({c.expected}; {c.received})" for c in report.failed)


def test_the_exercise_is_well_formed():
    assert len(EXERCISE.checks) >= 20 and sum(c.hidden for c in EXERCISE.checks) >= 3
    assert len(EXERCISE.mutants) >= 10
    assert EXERCISE.points == EXERCISE.max_score and EXERCISE.services == ["sandbox"]
    readme = EXERCISE.readme.read_text(encoding="utf-8")
    for check in EXERCISE.checks:
        assert f"| `{check.id}` | {check.points} |" in readme, check.id
        assert check.hint and "\n" not in check.why, check.id
        assert re.search(r"RFC \d+|OWASP API\d|OAuth 2\.1|Lesson policy", check.why), check.id
        assert not [w for w in FRAMEWORK_WORDS if w in check.hint.split("In FastAPI:")[0]], check.id


async def test_the_solution_scores_full_marks_with_another_seed(servers, sandbox_url):
    report = await grade(EXERCISE, servers["solution"], seed=1, include_hidden=True,
                         services={"sandbox": sandbox_url})
    assert report.status == "pass", failures(report)
    assert report.score == report.max_score == EXERCISE.points


@pytest.fixture(scope="module")
def no_audience_report(servers, sandbox_url) -> Report:
    """The mutant that skips the audience check, graded once for the tests that read its report."""
    return asyncio.run(grade(EXERCISE, servers["no-audience-check"], seed=2,
                             services={"sandbox": sandbox_url}))


def test_the_report_never_holds_a_token_in_full(no_audience_report):
    stored = no_audience_report.to_json()
    assert not re.search(r"eyJ[\w-]{10,}\.[\w-]{20,}\.[\w-]{20,}", stored), "a whole JWT in the report"
    assert "Bearer eyJ" in stored and "chars)" in stored, "tokens are shown shortened"
    assert "wonderland" not in stored and "code_verifier=" in stored


def test_a_missing_audience_check_is_explained(no_audience_report):
    assert {c.id for c in no_audience_report.failed} == {"wrong-audience"}
    result = next(c for c in no_audience_report.checks if c.id == "wrong-audience")
    assert "answered 200" in result.message and result.expected == "status 401"
    assert result.why.startswith("RFC 8725 §3.9")
    assert "curl" in result.exchanges[-1].curl and "Bearer eyJ" in result.exchanges[-1].curl


async def test_another_users_note_readable_is_caught_by_the_ownership_check(servers, sandbox_url):
    report = await grade(EXERCISE, servers["others-note-readable"], seed=4,
                         services={"sandbox": sandbox_url}, only="others-note-404")
    result = next(c for c in report.checks if c.id == "others-note-404")
    assert result.status == "fail" and "with Bob's token, on Alice's resource" in result.message
