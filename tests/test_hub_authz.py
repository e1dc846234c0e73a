"""Authorization that holds: every role × action × owner against a real uvicorn hub.

Actors: learner A (ada), learner B (bob), a mentor (mia), ada's revoked token, no token, and a
garbage token. Every case that must be refused is refused with the right status (401 with a
Bearer challenge, 403, or 404 for another learner's object) and leaves the database unchanged.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from grader.report import Report
from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.store import HubStore
from tests.helpers import TLS, make_report

REFUSED = {401, 403, 404, 409}


@dataclass
class Hub:
    url: str
    db: Path
    tokens: dict[str, str | None]
    sub_a: str
    sub_b: str
    feedback_a: str
    body_a: dict


def body(seed: int, passed: tuple[bool, ...] = (True, True, False)) -> dict:
    return {"kind": "submit", "report": json.loads(make_report(seed=seed, passed=passed).to_json())}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    db = tmp_path_factory.mktemp("hub") / "hub.db"
    store = HubStore(db)
    revoked = new_token()
    tokens: dict[str, str | None] = {"A": new_token(), "B": new_token(), "mentor": new_token(),
                                     "revoked": revoked, "missing": None,
                                     "garbage": "apilab_" + "x" * 43}
    ada = store.add_user("ada", "learner", hash_token(revoked))
    store.revoke("ada")  # ada's first token is revoked; she carries on with a second one
    store.add_token("ada", hash_token(tokens["A"]))
    bob = store.add_user("bob", "learner", hash_token(tokens["B"]))
    mia = store.add_user("mia", "mentor", hash_token(tokens["mentor"]))
    sub_a, sub_b = str(uuid.uuid4()), str(uuid.uuid4())
    body_a = body(seed=1)
    store.put_submission(ada, sub_a, "submit", Report.model_validate(body_a["report"]))
    store.put_submission(bob, sub_b, "submit", Report.model_validate(body(seed=2)["report"]))
    feedback_a = store.add_feedback(store.submission(sub_a), mia, "Look at check-2").id
    store.add_feedback(store.submission(sub_b), mia, "Bob: nearly there")
    store.close()
    with hub_process(db) as url:
        yield Hub(url, db, tokens, sub_a, sub_b, feedback_a, body_a)


def fingerprint(db: Path) -> tuple:
    """Everything a refused request could have changed."""
    with sqlite3.connect(db) as conn:
        return (
            conn.execute("SELECT id, learner_id, content_hash, revision, verdict, score_override "
                         "FROM submissions ORDER BY seq").fetchall(),
            conn.execute("SELECT id, body, verdict FROM feedback ORDER BY seq").fetchall(),
            conn.execute("SELECT token_hash, revoked_at FROM tokens ORDER BY id").fetchall(),
        )


def request_for(action: str, hub: Hub) -> tuple[str, str, dict | None]:
    a, b = hub.sub_a, hub.sub_b
    changed = body(seed=99)
    return {
        "me": ("GET", "/v1/me", None),
        "put new": ("PUT", f"/v1/submissions/{uuid.uuid4()}", body(seed=7)),
        "resend A's": ("PUT", f"/v1/submissions/{a}", hub.body_a),
        "change A's": ("PUT", f"/v1/submissions/{a}", changed),
        "get A's": ("GET", f"/v1/submissions/{a}", None),
        "get B's": ("GET", f"/v1/submissions/{b}", None),
        "list": ("GET", "/v1/submissions", None),
        "list bob's": ("GET", "/v1/submissions?learner=bob", None),
        "feedback on A's": ("GET", f"/v1/submissions/{a}/feedback", None),
        "feedback on B's": ("GET", f"/v1/submissions/{b}/feedback", None),
        "A's feedback item": ("GET", f"/v1/feedback/{hub.feedback_a}", None),
        "post feedback on A's": ("POST", f"/v1/submissions/{a}/feedback", {"body": "**Good**"}),
        "review A's": ("PUT", f"/v1/submissions/{a}/review", {"verdict": "changes_requested",
                                                              "body": "Add a 404."}),
        "read A's review": ("GET", f"/v1/submissions/{a}/review", None),
        "cohort stats": ("GET", "/v1/cohort/exercises/hello-api/stats", None),
        "feedback stream": ("GET", "/v1/feedback", None),
    }[action]


# expected status per action, for learner A, learner B and the mentor; any other actor: 401
MATRIX: dict[str, tuple[set[int], set[int], set[int]]] = {
    "me": ({200}, {200}, {200}),
    "put new": ({201}, {201}, {403}),
    "resend A's": ({200}, {404}, {403}),
    "change A's": ({409}, {404}, {403}),
    "get A's": ({200}, {404}, {200}),
    "get B's": ({404}, {200}, {200}),
    "list": ({200}, {200}, {200}),
    "list bob's": ({403}, {200}, {200}),
    "feedback on A's": ({200}, {404}, {200}),
    "feedback on B's": ({404}, {200}, {200}),
    "A's feedback item": ({200}, {404}, {200}),
    "post feedback on A's": ({403}, {403}, {201}),
    "review A's": ({403}, {403}, {200, 201}),
    "read A's review": ({200}, {404}, {200}),
    "cohort stats": ({403}, {403}, {200}),
    "feedback stream": ({200}, {200}, {200}),
}
ACTORS = ["A", "B", "mentor", "revoked", "missing", "garbage"]
CASES = [(actor, action) for action in MATRIX for actor in ACTORS]


def expected(actor: str, action: str) -> set[int]:
    if actor in ("revoked", "missing", "garbage"):
        return {401}
    return MATRIX[action][["A", "B", "mentor"].index(actor)]


def send(hub: Hub, actor: str, action: str, **extra_headers: str) -> httpx.Response:
    method, path, payload = request_for(action, hub)
    token = hub.tokens[actor]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, hub.url + path, json=payload, trust_env=False, verify=TLS,
                         headers={**headers, **extra_headers})


@pytest.mark.parametrize(("actor", "action"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_matrix(hub: Hub, actor: str, action: str):
    before = fingerprint(hub.db)
    response = send(hub, actor, action)
    want = expected(actor, action)
    assert response.status_code in want, (response.status_code, response.text)
    if response.status_code in REFUSED:
        assert fingerprint(hub.db) == before, "a refused request changed the data"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code
    if response.status_code == 401:
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith('Bearer realm="apilab-hub"')
        assert ('error="invalid_token"' in challenge) == (actor != "missing")
    if response.status_code == 403 and action != "list bob's":  # a role refusal, not a filter
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


def test_another_learners_submission_looks_like_no_submission(hub: Hub):
    headers = {"Authorization": f"Bearer {hub.tokens['B']}"}
    theirs = httpx.get(f"{hub.url}/v1/submissions/{hub.sub_a}", headers=headers, trust_env=False)
    nobody = httpx.get(f"{hub.url}/v1/submissions/{uuid.uuid4()}", headers=headers,
                       trust_env=False)
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json().keys() == nobody.json().keys()
    assert theirs.json()["title"] == nobody.json()["title"]


def test_learners_list_and_stream_hold_only_their_own(hub: Hub):
    for actor, name in (("A", "ada"), ("B", "bob")):
        headers = {"Authorization": f"Bearer {hub.tokens[actor]}"}
        listed = httpx.get(f"{hub.url}/v1/submissions?limit=100", headers=headers,
                           trust_env=False).json()["items"]
        assert listed and {item["learner"] for item in listed} == {name}
        stream = httpx.get(f"{hub.url}/v1/feedback", headers=headers, trust_env=False)
        assert stream.json()["items"]
        assert {item["learner"] for item in stream.json()["items"]} == {name}


def test_mentor_sees_the_whole_cohort(hub: Hub):
    headers = {"Authorization": f"Bearer {hub.tokens['mentor']}"}
    listed = httpx.get(f"{hub.url}/v1/submissions?limit=100", headers=headers,
                       trust_env=False).json()["items"]
    assert {hub.sub_a, hub.sub_b} <= {item["id"] for item in listed}
    stream = httpx.get(f"{hub.url}/v1/feedback", headers=headers, trust_env=False).json()
    assert {"ada", "bob"} <= {item["learner"] for item in stream["items"]}


def test_a_token_in_the_query_string_is_refused(hub: Hub):
    response = httpx.get(f"{hub.url}/v1/me", params={"access_token": hub.tokens["A"]},
                         trust_env=False)
    assert response.status_code == 401
    assert "query string" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Basic YWRhOnNlY3JldA==", "Bearer", "Token abc", "bearer"])
def test_other_schemes_and_empty_bearer_are_401(hub: Hub, header: str):
    response = httpx.get(f"{hub.url}/v1/me", headers={"Authorization": header}, trust_env=False)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")
