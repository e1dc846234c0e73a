"""The security lesson's exercise (harden-shop) grades as designed: the reference passes everything
with other seeds; the vulnerable starter fails exactly the exploit checks and passes every
legitimate flow (its mutants are proven by test_verify.py, with the course); a server written in
Node.js from the README alone passes, contract probes included, and each mistake planted in it is
caught by the probe meant for it; and failures explain themselves.

Real servers: uvicorn for the Python versions, `node` for the foreign one, on loopback ports.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from apilab.app_servers import materialize, serve_apps
from apilab.catalog.loader import load_exercise
from apilab.paths import CHECKOUT
from apilab.verify import graded
from grader.report import Report
from grader.runner import grade
from tests.helpers import grade_planted, node_server, planted_mistakes

EXERCISE_DIR = CHECKOUT / "exercises" / "harden-shop"
EXERCISE = load_exercise(EXERCISE_DIR)
FOREIGN = Path(__file__).parent / "foreign_servers" / "harden_shop.mjs"
# What a shop must keep doing once hardened; the starter does all of it already.
LEGITIMATE = {"signup-201", "signup-taken-409", "login-200", "login-wrong-password-401", "no-token-401",
              "own-orders", "orders-list-own", "update-profile", "admin-lists-users",
              "admin-deletes-user", "webhook-public-accepted"}
# Holes the starter does not have, which mutants of the reference open.
CLOSED_IN_THE_STARTER = {"tampered-token-refused", "order-owner-from-token", "order-change-keeps-owner",
                         "webhook-owner-from-token", "login-success-resets", "quantity-whole-number",
                         "bearer-case-insensitive", "token-subject"}
# The contract probes: neither a legitimate flow nor an exploit, and what they reach within their
# budget depends on the machine's load.
PROBES = set(EXERCISE.probes.checks)
FRAMEWORK_WORDS = ("FastAPI", "Pydantic", "Starlette", "joserfc", "Depends", "HTTPException", "dict")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("harden-shop")
    sources = ("solution", "starter")
    folders = [materialize(EXERCISE, source, root / source) for source in sources]
    with serve_apps(folders) as urls:
        yield dict(zip(sources, urls, strict=True))


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    with node_server(FOREIGN) as url:
        yield url


def failures(report) -> str:
    setup = [f"setup {s.name}: {s.message}" for s in report.setup if not s.passed]
    return "\n".join(setup + [f"{c.id}: {c.message} ({c.expected}; {c.received})" for c in report.failed])


# --- the exercise as data ------------------------------------------------------------------------


def test_the_exercise_is_well_formed():
    assert len(EXERCISE.checks) >= 24 and sum(c.hidden for c in EXERCISE.checks) >= 3
    assert EXERCISE.points == EXERCISE.max_score and EXERCISE.services == []
    assert {check.id for check in EXERCISE.checks} >= LEGITIMATE | CLOSED_IN_THE_STARTER
    for check in EXERCISE.checks:
        assert check.hint and "\n" not in check.why, check.id
        assert re.search(r"RFC \d+|OWASP API\d", check.why), check.id
        assert not [w for w in FRAMEWORK_WORDS if w in check.hint], check.id


def test_every_exploit_check_has_a_mutant_that_reopens_it():
    exploits = {check.id for check in EXERCISE.checks} - LEGITIMATE - PROBES
    caught = {check_id for mutant in EXERCISE.mutants for check_id in mutant.caught_by}
    assert exploits <= caught, sorted(exploits - caught)
    for mutant in EXERCISE.mutants:
        assert len(mutant.description) > 40, mutant.name


def test_the_readme_states_every_check_in_order():
    readme = EXERCISE.readme.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (\d+) \|", readme, re.MULTILINE)
    assert [(check.id, str(check.points)) for check in EXERCISE.checks] == rows
    for check in EXERCISE.checks:
        assert check.hidden == (f"| `{check.id}` | {check.points} | hidden:" in readme), check.id


def test_the_openapi_document_covers_every_route_and_status_of_the_readme():
    document = yaml.safe_load((EXERCISE_DIR / "openapi.yaml").read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.1")
    readme = EXERCISE.readme.read_text(encoding="utf-8")
    routes = set(re.findall(r"^\| `(GET|POST|PATCH|DELETE) (/[a-z/{}]+)", readme, re.MULTILINE))
    documented = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item if method != "parameters"}
    assert documented == routes
    assert "413" in document["paths"]["/orders"]["post"]["responses"]
    assert "429" in document["paths"]["/login"]["post"]["responses"]
    assert document["paths"]["/admin/users"]["get"]["responses"].keys() >= {"200", "401", "403"}


# --- grading real servers ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 424242])
async def test_the_solution_scores_full_marks(servers, seed):
    report = await grade(EXERCISE, servers["solution"], seed=seed, include_hidden=True)
    assert report.status == "pass", failures(report)
    assert report.score == report.max_score == EXERCISE.points


@pytest.fixture(scope="module")
def starter_report(servers) -> Report:
    """The starter graded once, hidden checks included and the contract probes left out (as
    `apilab verify` grades a starter), for the tests that read its report."""
    return asyncio.run(grade(graded(EXERCISE, "starter"), servers["starter"], seed=2,
                             include_hidden=True))


def test_the_starter_fails_every_exploit_and_passes_every_legitimate_flow(starter_report):
    report = starter_report
    assert not [s.name for s in report.setup if not s.passed], failures(report)
    passed = {check.id for check in report.checks if check.passed} - PROBES
    assert passed == LEGITIMATE | CLOSED_IN_THE_STARTER, failures(report)


async def test_a_server_written_in_node_from_the_readme_passes(node_url):
    report = await grade(EXERCISE, node_url, seed=3, include_hidden=True)
    assert report.status == "pass", failures(report)


# Mistakes of the kind the contract probes are for, planted in the Node server, each with the
# probe that must catch it; the hand-written checks pass them (they test security, not bounds).
PROBED_MISTAKES = {
    "utf16-length": ("contract-accepts-valid", "refused a valid body"),
    "quantity-coerced": ("contract-rejects-invalid", "quantity"),
}


def test_every_mistake_the_node_server_can_plant_is_tested():
    assert planted_mistakes(FOREIGN) == set(PROBED_MISTAKES)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("mistake", sorted(PROBED_MISTAKES))
async def test_a_mistake_the_probes_are_for_is_caught_by_its_probe(mistake):
    probe, said = PROBED_MISTAKES[mistake]
    report = await grade_planted(FOREIGN, mistake, EXERCISE, seed=3, probe=probe)
    assert [check.id for check in report.failed] == [probe], failures(report)
    assert said in report.failed[0].message, report.failed[0].message


def test_exploits_are_explained_with_what_leaked(starter_report):
    result = {check.id: check for check in starter_report.checks}
    assert "password_hash" in result["nothing-sensitive"].message
    assert result["secret-not-guessable"].received == 'secret = "secret"'
    assert "Traceback" in result["malformed-json-400"].received
    assert 'role "admin"' in result["signup-role-ignored"].message
    assert result["alg-none-refused"].why.startswith("RFC 8725")


OPAQUE_TOKENS = '''
from fastapi import FastAPI
app = FastAPI()

@app.post("/users", status_code=201)
async def sign_up(body: dict) -> dict:
    return {"id": 1, "username": body["username"], "email": body["email"], "role": "customer"}

@app.post("/login")
async def login() -> dict:
    return {"access_token": "opaque-0123456789", "token_type": "Bearer", "expires_in": 600}
'''


async def test_a_token_that_is_not_a_jwt_is_a_setup_failure_that_says_so(tmp_path):
    (tmp_path / "app.py").write_text(OPAQUE_TOKENS, encoding="utf-8")
    with serve_apps([tmp_path]) as (url,):
        report = await grade(EXERCISE, url, seed=5)
    assert report.status == "fail"
    alice = next(setup for setup in report.setup if setup.name == "alice")
    assert "not a JWT with a sub claim" in alice.message
    needing_alice = {c.id for c in EXERCISE.visible_checks(False) if "alice" in c.needs}
    assert {c.id for c in report.checks if "alice" in c.blocked_by} == needing_alice
