"""The OpenAPI documents tell the truth: schemathesis, through its pytest integration, sends
generated requests (valid and invalid) to the sandbox (every feature, every lab switched on)
and to the hub (with a learner's token, a mentor's and none), and checks every answer against
the document: no server error, no undocumented status or header, no body that breaks its
schema, no valid request refused and no invalid one accepted.

Runs are derandomized (the same examples every run) and bounded by MAX_EXAMPLES per operation.
Both apps run in process, over schemathesis' own ASGI transport. Each operation is its own test,
made from the document narrowed to it when the test runs (`schemathesis.pytest.from_fixture`):
schemathesis builds an operation's coverage examples with its test, which at collection would be
in every worker, ten seconds each, for the tests it does not run as for those it does.

A JSON Schema cannot say "a value this API issued": a cursor copied from `next_cursor`, the
`author_id` of an existing author, or the ETag an `If-Match` must carry. The document says so in
words; for requests meant to be valid, `issued_values` puts such values where the generator put
arbitrary ones, as a client following the document would. Tests elsewhere check that values the
API never issued are refused as documented (400 invalid-cursor, 422 unknown author, 404 unknown
id, 412 for an ETag that is not current).
"""

from __future__ import annotations

import copy
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import negative_data_rejection

from hub.app import create_hub_app
from hub.auth import hash_token, new_token
from hub.settings import HubSettings
from sandbox_api.app import create_app
from sandbox_api.feature import discover
from sandbox_api.settings import SandboxSettings

MAX_EXAMPLES = 25
SEED = 42
TOKENS = {"learner": new_token(), "mentor": new_token()}


def sandbox_app(directory: Path) -> FastAPI:
    """Every feature, and every lab switched on."""
    labs = frozenset(name for name, feature in discover().items() if feature.lab)
    app = create_app(SandboxSettings(db_path=directory / "sandbox.sqlite", seed=SEED, labs=labs))
    app.state.report_seconds = 0  # the caching report is slow for people to feel, not for this
    return app


def hub_app(directory: Path) -> FastAPI:
    app = create_hub_app(HubSettings(db_path=directory / "hub.db", rate_limit=1_000_000))
    app.state.store.add_user("ada", "learner", hash_token(TOKENS["learner"]))
    app.state.store.add_user("mia", "mentor", hash_token(TOKENS["mentor"]))
    return app


def document(build: Callable[[Path], FastAPI]) -> dict[str, Any]:
    """The OpenAPI document of an app that `build` makes. Tests reach apps of their own (through
    `in_process`): a sandbox shared by a worker's tests, a hub for each test."""
    with tempfile.TemporaryDirectory() as directory:
        return build(Path(directory)).openapi()


SANDBOX_DOCUMENT = document(sandbox_app)
HUB_DOCUMENT = document(hub_app)


def operations(document: dict[str, Any]) -> list[str]:
    """Each operation of `document`, as schemathesis names it: "METHOD /path"."""
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return [f"{method.upper()} {path}" for path, item in document["paths"].items()
            for method in item if method in methods]


def narrowed(document: dict[str, Any], operation: str, app: FastAPI) -> Any:
    """The schema of `document`, whose tests cover `operation` alone, sent to `app` in process,
    over schemathesis' ASGI transport. The other operations stay in the document, switched off
    by name (so that a method no path lists is still sent, as a request the API must refuse)."""
    others = [label for label in operations(document) if label != operation]
    config = SchemathesisConfig.from_dict({"operations": [{"include-name": others, "enabled": False}]})
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.app = app
    return schema


@pytest.fixture(params=operations(SANDBOX_DOCUMENT))
def sandbox_operation(request: pytest.FixtureRequest, sandbox: FastAPI) -> Any:
    return narrowed(SANDBOX_DOCUMENT, request.param, sandbox)


@pytest.fixture(params=operations(HUB_DOCUMENT))
def hub_operation(request: pytest.FixtureRequest, hub: FastAPI) -> Any:
    return narrowed(HUB_DOCUMENT, request.param, hub)


sandbox_schema = schemathesis.pytest.from_fixture("sandbox_operation")
hub_schema = schemathesis.pytest.from_fixture("hub_operation")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """One sandbox for every operation's test in a worker, and a copy of its database as just
    seeded (`state.seeded`), for `restore_seeded` to put back before each example: the sandbox
    keeps its state in its database alone. A new app for each test would build its routes again
    on its first requests (FastAPI builds an included router's routes for each app, lazily):
    a tenth of a second and more, for each of sixty operations.

    schemathesis ends the app's lifespan after each test; the client starts it again on its next
    request, and the sandbox's lifespan holds nothing but the clean-up of a temporary database,
    which this one is not."""
    app = sandbox_app(tmp_path_factory.mktemp("sandbox"))
    with closing(sqlite3.connect(":memory:")) as seeded, \
            closing(sqlite3.connect(app.state.db.path)) as watch:
        watch.backup(seeded)
        app.state.seeded, app.state.watch = seeded, watch
        app.state.seeded_version = _data_version(watch)
        yield app


def _data_version(watch: sqlite3.Connection) -> int:
    """SQLite's count of the commits other connections made to the database `watch` is open on."""
    return watch.execute("PRAGMA data_version").fetchone()[0]


def restore_seeded(app: FastAPI) -> None:
    """Put the sandbox's database back as it was just seeded, page for page, when anything
    wrote to it since (most examples are reads, or are refused). Seeding again gives the same
    rows (but for the administrator's password, random and never told) at 30 times the cost
    (the security lab hashes passwords with scrypt), and examples are many."""
    if _data_version(app.state.watch) == app.state.seeded_version:
        return
    with closing(sqlite3.connect(app.state.db.path)) as database:
        database.execute("PRAGMA synchronous = OFF")  # as the sandbox's own connections
        app.state.seeded.backup(database)
    app.state.seeded_version = _data_version(app.state.watch)


@pytest.fixture
def hub(tmp_path: Path) -> FastAPI:
    """A fresh hub for each test: it closes its store when schemathesis ends its lifespan."""
    return hub_app(tmp_path)


def in_process(app: FastAPI) -> Iterator[ASGIClient]:
    """One in-process client for every example of a test: given none, schemathesis makes one for
    each request, and each request then also looks for proxy settings in the environment."""
    with ASGIClient(app) as client:
        client.trust_env = False
        yield client


@pytest.fixture(scope="session")
def to_sandbox(sandbox: FastAPI) -> Iterator[ASGIClient]:
    yield from in_process(sandbox)


@pytest.fixture
def to_hub(hub: FastAPI) -> Iterator[ASGIClient]:
    yield from in_process(hub)


bounded = settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                   suppress_health_check=list(HealthCheck))


def issued_values(case: Any, client: ASGIClient, headers: dict[str, str]) -> None:
    """In a request meant to be valid, put values the API issued where only those are valid:
    a cursor it gave for this list (or none, when it has given none), an author it created, the
    current ETag of what a conditional change is based on."""
    if not case.meta.generation.mode.is_positive:
        return
    if_match = next((name for name in case.headers or {} if name.lower() == "if-match"), None)
    if if_match is not None:
        current = client.get(case.formatted_path, headers=headers)
        if etag := current.headers.get("etag"):
            case.headers[if_match] = etag
    if isinstance(case.query, dict) and "cursor" in case.query:
        query = {k: v for k, v in case.query.items() if k != "cursor"}
        cursor = _a_real_cursor(client, case.path, query, headers)
        case.query = {**query, "cursor": cursor} if cursor else query
    body = case.body
    if isinstance(body, dict) and type(body.get("author_id")) in (int, float):
        case.body = {**body, "author_id": 1}  # created by the seed; keeps books, so stays
    if isinstance(body, dict) and isinstance(body.get("author_ids"), list):
        case.body = {**body, "author_ids": [1] * len(body["author_ids"])}  # the same, in v2


def _a_real_cursor(client: ASGIClient, path: str, query: dict[str, Any],
                   headers: dict[str, str]) -> str | None:
    response = client.get(path, params={**query, "limit": 1}, headers=headers)
    return response.json().get("next_cursor") if response.status_code == 200 else None


def as_identity(case: Any, role: str | None, had_token: bool) -> None:
    """Send the request as `role`: with its token wherever schemathesis meant to send one (a
    request it means to send without one stays without)."""
    case.headers.pop("Authorization", None)
    if role is not None and had_token:
        case.headers["Authorization"] = f"Bearer {TOKENS[role]}"


@sandbox_schema.parametrize()
@bounded
def test_the_sandbox_does_what_its_document_says(case, sandbox, to_sandbox):
    restore_seeded(sandbox)  # each example starts from the seed
    issued_values(case, to_sandbox, {})
    case.call_and_validate(session=to_sandbox)


# The one exemption: the grader's report inside a submission is read leniently on purpose (a
# report of a newer schema is accepted, and pydantic's lax mode reads `false` as 0.0), so an
# invalid report is not always refused.
REPORT_UPLOAD = ("PUT", "/v1/submissions/{submission_id}")


def self_consistent(case: Any) -> None:
    """In a report upload meant to be valid, make the report agree with itself, as SubmissionIn's
    description says in words and as the grader always writes it: a passed check earns its
    max_points, a failed one 0; score and max_score are the sums; the status follows the checks
    (an error has none); check ids are unique."""
    report = case.body.get("report") if isinstance(case.body, dict) else None
    if not case.meta.generation.mode.is_positive or not isinstance(report, dict):
        return
    report = copy.deepcopy(report)
    case.body = {**case.body, "report": report}
    checks = report.get("checks", [])
    if report.get("status") == "error":
        checks.clear()
    for index, check in enumerate(checks):
        check["id"] = f"{index}-{check['id']}"[:100]
        check["points"] = check["max_points"] if check["status"] == "pass" else 0
    if report.get("status") != "error":
        report["status"] = "pass" if all(c["status"] == "pass" for c in checks) else "fail"
    report["score"] = sum(check["points"] for check in checks)
    report["max_score"] = sum(check["max_points"] for check in checks)


@hub_schema.parametrize()
@bounded
def test_the_hub_does_what_its_document_says_to_each_role(case, to_hub):
    # One generated request, sent as a learner and a mentor, so that both roles meet every
    # case, and, when it is meant to be valid, as a stranger too. The hub turns a stranger away
    # before it reads anything the request holds: a request meant to be invalid would only be
    # turned away again, as the valid ones show. A request schemathesis sends with no token is
    # sent once: the roles would send it alike. Sending is most of the cost, not generating
    # (the report upload's 908 coverage cases, 3 ms a call through the ASGI transport), and
    # two cases in three are meant to be invalid.
    had_token = "Authorization" in case.headers
    query, body = case.query, case.body
    lenient = (case.method, case.path) == REPORT_UPLOAD
    if not had_token:
        roles: tuple[str | None, ...] = (None,)
    elif case.meta.generation.mode.is_positive:
        roles = ("learner", "mentor", None)
    else:
        roles = ("learner", "mentor")
    for role in roles:
        case.query, case.body = query, body
        as_identity(case, role, had_token)
        issued_values(case, to_hub, {"Authorization": f"Bearer {TOKENS[role]}"} if role else {})
        self_consistent(case)
        case.call_and_validate(session=to_hub,
                               excluded_checks=[negative_data_rejection] if lenient else [])
