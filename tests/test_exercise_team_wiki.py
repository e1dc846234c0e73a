"""The caching lesson's exercise (team-wiki) grades as designed, beyond what `apilab verify` proves
(see test_verify.py): full marks with other seeds, a foreign-stack-like view of the wire, and
failures that explain themselves.

Real uvicorn servers on loopback ports, started once for the module.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from apilab.app_servers import materialize, serve_app, serve_apps
from apilab.catalog.loader import load_exercise
from apilab.catalog.models import Edit, Mutant
from apilab.verify import graded
from grader.runner import grade

EXERCISE_DIR = Path(__file__).resolve().parent.parent / "exercises" / "team-wiki"
EXERCISE = load_exercise(EXERCISE_DIR)
MUTANTS = {mutant.name: mutant for mutant in EXERCISE.mutants}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def solution_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = materialize(EXERCISE, "solution", tmp_path_factory.mktemp("solution"))
    with serve_app(folder) as url:
        yield url


@pytest.fixture(scope="module")
def mutant_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("mutants")
    names = ["not-modified-with-body", "etag-weak-timestamp", "etag-from-revision"]
    folders = [materialize(EXERCISE, MUTANTS[name], root / name) for name in names]
    with serve_apps(folders) as urls:
        yield dict(zip(names, urls, strict=True))


# Choices the README leaves to the learner, each made differently from the reference: a server
# that makes them must still score full marks (the grader never fails what the contract allows).
ALLOWED_CHOICES = {
    "counter-etags": [  # ETags from a version counter that never goes back, not a hash
        Edit(file="app.py", find="        self.stored = represent(document, now())",
             replace="        self.stored = Representation(encode(document), f'\"v{next(VERSIONS)}\"', "
                     "now())\n\n\nVERSIONS = __import__('itertools').count(1)"),
    ],
    "weak-list-etag": [  # the list's ETag may be weak
        Edit(file="app.py", find="    return conditional_read(request, page_list())",
             replace="    listing = page_list()\n    return conditional_read(request, "
                     "Representation(listing.body, 'W/' + listing.etag))"),
    ],
    "more-directives": [  # other Cache-Control directives beside no-cache
        Edit(file="app.py", find='CACHE_CONTROL = "no-cache"',
             replace='CACHE_CONTROL = "private, no-cache, must-revalidate, max-age=0"'),
    ],
    "relative-location": [
        Edit(file="app.py", find='Location=str(request.url_for("get_page", slug=slug))',
             replace='Location=f"/pages/{slug}"'),
    ],
    "invalid-slug-422": [  # PUT to a name that is not a slug: 422 rather than 404
        Edit(file="app.py", find="        raise HTTPException(404, f\"{slug!r} cannot name a page",
             replace="        raise HTTPException(422, f\"{slug!r} cannot name a page"),
    ],
    "lean-304": [  # a 304 with only ETag and Cache-Control, but the 200's Content-Length
        Edit(file="app.py", find="        return Response(status_code=304, headers=headers)",
             replace="        return Response(status_code=304, headers={\n"
                     "            'ETag': current.etag, 'Cache-Control': CACHE_CONTROL,\n"
                     "            'Content-Length': str(len(current.body))})"),
    ],
}


@pytest.fixture(scope="module")
def allowed_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("allowed")
    folders = [materialize(EXERCISE, Mutant(name=name, description="an allowed choice",
                                            caught_by=["none"], edits=edits), root / name)
               for name, edits in ALLOWED_CHOICES.items()]
    with serve_apps(folders) as urls:
        yield dict(zip(ALLOWED_CHOICES, urls, strict=True))


def failures(report) -> str:
    return "\n".join(f"{c.id}: {c.message} (expected {c.expected}; received {c.received})"
                     for c in report.failed)


def test_the_exercise_is_well_formed():
    assert len(EXERCISE.checks) >= 20
    assert sum(check.hidden for check in EXERCISE.checks) >= 5
    assert len(EXERCISE.mutants) >= 10
    assert EXERCISE.points == EXERCISE.max_score
    for check in EXERCISE.checks:
        assert check.hint and "\n" not in check.why, check.id
        assert re.search(r"RFC \d+|OWASP|[Ll]esson policy", check.why), check.id


def test_the_readme_states_every_check_in_order():
    readme = EXERCISE.readme.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (\d+) \|", readme, re.MULTILINE)
    assert [(check.id, str(check.points)) for check in EXERCISE.checks] == rows
    for check in EXERCISE.checks:
        assert check.hidden == (f"| `{check.id}` | {check.points} | hidden:" in readme), check.id


def test_hints_speak_http_not_one_framework():
    framework_words = ("FastAPI", "Pydantic", "Starlette", "Response(", "uvicorn", "dict")
    for check in EXERCISE.checks:
        general = (check.hint or "").split("In FastAPI:")[0]
        assert not [w for w in framework_words if w in general], check.id


def test_every_mutant_names_a_realistic_mistake():
    for mutant in EXERCISE.mutants:
        assert len(mutant.description) > 40 and mutant.caught_by, mutant.name


def test_the_openapi_document_covers_every_route_and_status_of_the_readme():
    document = yaml.safe_load((EXERCISE_DIR / "openapi.yaml").read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    assert set(paths) == {"/pages", "/pages/{slug}"}
    assert set(paths["/pages"]) == {"get", "head"}
    statuses = {method: set(op["responses"]) for method, op in paths["/pages/{slug}"].items()
                if method != "parameters"}
    assert statuses == {
        "get": {"200", "304", "404"}, "head": {"200", "304", "404"},
        "put": {"200", "201", "404", "412", "415", "422", "428"},
        "patch": {"200", "404", "412", "415", "422", "428"},
        "delete": {"204", "404", "412", "428"},
    }


def test_the_exercise_file_is_valid_toml_with_a_stable_id():
    data = tomllib.loads((EXERCISE_DIR / "exercise.toml").read_text(encoding="utf-8"))
    assert data["id"] == "5f0b7c9e-3a41-4d2e-9c8b-6e2f1a7d4b30"


@pytest.mark.parametrize("seed", [1, 987654321])  # verify uses a third
async def test_the_solution_scores_full_marks(solution_url, seed):
    report = await grade(EXERCISE, solution_url, seed=seed, include_hidden=True)
    assert report.status == "pass", failures(report)
    assert report.score == report.max_score == EXERCISE.points


@pytest.mark.parametrize("choice", sorted(ALLOWED_CHOICES))
async def test_every_choice_the_readme_allows_scores_full_marks(allowed_urls, choice):
    report = await grade(EXERCISE, allowed_urls[choice], seed=11, include_hidden=True)
    assert report.status == "pass", failures(report)


async def test_a_304_with_a_body_is_caught_on_the_wire_and_explained(mutant_urls):
    report = await grade(EXERCISE, mutant_urls["not-modified-with-body"], seed=3, only="inm-304")
    result = next(c for c in report.checks if c.id == "inm-304")
    assert result.status == "fail"
    assert "bytes of content" in result.message and "a 304 has none" in result.message
    assert '"title"' in result.received  # the bytes that followed the head, shown
    assert result.why.startswith("RFC 9110 §15.4.5")
    assert result.exchanges[-1].response.status == 304


async def test_a_weak_etag_explains_why_no_write_succeeds(mutant_urls):
    report = await grade(EXERCISE, mutant_urls["etag-weak-timestamp"], seed=3, only="put-new-etag")
    result = next(c for c in report.checks if c.id == "put-new-etag")
    assert "is weak: If-Match uses strong comparison" in result.message


async def test_hidden_checks_do_not_show_their_requests(mutant_urls):
    report = await grade(graded(EXERCISE, MUTANTS["etag-from-revision"]), mutant_urls["etag-from-revision"],
                         seed=3, include_hidden=True)
    hidden = next(c for c in report.checks if c.id == "etag-after-recreate")
    assert hidden.status == "fail" and hidden.exchanges == [] and hidden.received is None
    assert [c.id for c in report.failed] == ["etag-after-recreate"]
