"""The hub's API behaves as the course teaches: idempotent PUT, ETags and 304, Link pagination,
problem+json errors, rate limits, immediate revocation, review rules, cohort numbers, and tokens
never stored in clear. Most tests run against one real uvicorn hub for the module."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from hub.app import create_hub_app
from hub.auth import hash_token, new_token
from hub.cli import hub as hub_cli
from hub.process import hub_process
from hub.settings import HubSettings
from hub.store import HubStore
from tests.helpers import TLS, make_report


@dataclass
class Hub:
    url: str
    db: Path
    tokens: dict[str, str]

    def add_user(self, name: str, role: str) -> str:
        token = new_token()
        store = HubStore(self.db)
        store.add_user(name, role, hash_token(token))  # type: ignore[arg-type]
        store.close()
        self.tokens[name] = token
        return token

    def client(self, name: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, trust_env=False, verify=TLS,
                            headers={"Authorization": f"Bearer {self.tokens[name]}"})


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    db = tmp_path_factory.mktemp("hub") / "hub.db"
    HubStore(db).close()
    with hub_process(db) as url:
        found = Hub(url, db, {})
        found.add_user("ada", "learner")
        found.add_user("mia", "mentor")
        yield found


def submission(seed: int = 42, passed: tuple[bool, ...] = (True, True, False),
               exercise: str = "hello-api", kind: str = "submit") -> dict:
    report = make_report(exercise=exercise, seed=seed, passed=passed)
    return {"kind": kind, "report": json.loads(report.to_json())}


def is_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert isinstance(problem["title"], str) and problem["detail"]
    assert "Traceback" not in response.text and ".py" not in response.text
    return problem


# --- idempotent submissions ---------------------------------------------------------------------


def test_put_is_idempotent(hub: Hub):
    sid = str(uuid.uuid4())
    with hub.client("ada") as ada, hub.client("mia") as mia:
        first = ada.put(f"/v1/submissions/{sid}", json=submission(seed=5))
        again = ada.put(f"/v1/submissions/{sid}", json=submission(seed=5))
        assert first.status_code == 201
        assert first.headers["location"] == f"/v1/submissions/{sid}"
        assert again.status_code == 200 and "location" not in again.headers
        assert first.headers["etag"] == again.headers["etag"]
        stored = [s for s in mia.get("/v1/submissions", params={"limit": 100}).json()["items"]
                  if s["id"] == sid]
        assert len(stored) == 1


def test_the_same_id_with_other_content_is_a_conflict(hub: Hub):
    sid = str(uuid.uuid4())
    with hub.client("ada") as ada:
        ada.put(f"/v1/submissions/{sid}", json=submission(seed=1)).raise_for_status()
        is_problem(ada.put(f"/v1/submissions/{sid}", json=submission(seed=2)), 409)
        is_problem(ada.put(f"/v1/submissions/{sid}", json=submission(seed=1, kind="check")), 409)
        assert ada.get(f"/v1/submissions/{sid}").json()["report"]["seed"] == 1


def test_the_id_is_a_uuid_in_any_spelling(hub: Hub):
    sid = uuid.uuid4()
    with hub.client("ada") as ada:
        assert ada.put(f"/v1/submissions/{sid}", json=submission()).status_code == 201
        assert ada.put(f"/v1/submissions/{str(sid).upper()}", json=submission()).status_code == 200
        is_problem(ada.put("/v1/submissions/not-a-uuid", json=submission()), 422)


# --- ETags --------------------------------------------------------------------------------------


def test_etag_and_if_none_match(hub: Hub):
    sid = str(uuid.uuid4())
    with hub.client("ada") as ada, hub.client("mia") as mia:
        ada.put(f"/v1/submissions/{sid}", json=submission(seed=11)).raise_for_status()
        first = ada.get(f"/v1/submissions/{sid}")
        etag = first.headers["etag"]
        assert first.status_code == 200 and re.fullmatch(r'"[^"]+"', etag)
        assert "private" in first.headers["cache-control"]
        not_modified = ada.get(f"/v1/submissions/{sid}", headers={"If-None-Match": etag})
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert not_modified.headers["etag"] == etag
        weak = ada.get(f"/v1/submissions/{sid}", headers={"If-None-Match": f"W/{etag}"})
        assert weak.status_code == 304
        bogus = ada.get(f"/v1/submissions/{sid}", headers={"If-None-Match": '"bogus"'})
        assert bogus.status_code == 200 and bogus.json()["id"] == sid
        mia.put(f"/v1/submissions/{sid}/review", json={"verdict": "approved"}).raise_for_status()
        after = ada.get(f"/v1/submissions/{sid}", headers={"If-None-Match": etag})
        assert after.status_code == 200 and after.headers["etag"] != etag
        assert after.json()["review_state"] == "approved"


def test_head_is_get_without_the_body(hub: Hub):
    sid = str(uuid.uuid4())
    with hub.client("ada") as ada:
        ada.put(f"/v1/submissions/{sid}", json=submission(seed=12)).raise_for_status()
        got, head = ada.get(f"/v1/submissions/{sid}"), ada.head(f"/v1/submissions/{sid}")
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "content-length", "content-type", "cache-control"):
        assert head.headers[name] == got.headers[name]


# --- pagination ---------------------------------------------------------------------------------


def test_pagination_follows_link_next_over_every_item_once(hub: Hub):
    hub.add_user("pat", "learner")
    ids = [str(uuid.uuid4()) for _ in range(7)]
    with hub.client("pat") as pat:
        for sid in ids:
            pat.put(f"/v1/submissions/{sid}", json=submission()).raise_for_status()
        seen, pages = [], 0
        response = pat.get("/v1/submissions", params={"limit": 3})
        while True:
            pages += 1
            page = response.json()
            seen += [item["id"] for item in page["items"]]
            if "next" not in response.links:
                assert page["next_cursor"] is None
                break
            assert page["next_cursor"]
            response = pat.get(response.links["next"]["url"])
    assert pages == 3
    assert seen == list(reversed(ids))  # newest first, each exactly once


def test_bad_cursor_and_limit_are_problems(hub: Hub):
    with hub.client("ada") as ada:
        is_problem(ada.get("/v1/submissions", params={"cursor": "nonsense!"}), 400)
        is_problem(ada.get("/v1/submissions", params={"limit": 0}), 422)
        is_problem(ada.get("/v1/submissions", params={"limit": 1000}), 422)
        is_problem(ada.get("/v1/submissions", params={"review": "maybe"}), 422)


def test_mentor_queue_filters(hub: Hub):
    hub.add_user("quinn", "learner")
    with hub.client("quinn") as quinn, hub.client("mia") as mia:
        ids = [str(uuid.uuid4()) for _ in range(3)]
        for sid, passed in zip(ids, [(True,), (False,), (True,)], strict=True):
            quinn.put(f"/v1/submissions/{sid}",
                      json=submission(exercise="queue-ex", passed=passed)).raise_for_status()
        mia.put(f"/v1/submissions/{ids[0]}/review", json={"verdict": "approved"})

        def queue(**params: str) -> list[str]:
            found = mia.get("/v1/submissions", params={"exercise": "queue-ex", **params})
            return [item["id"] for item in found.json()["items"]]

        assert queue(review="awaiting") == [ids[2], ids[1]]
        assert queue(review="approved") == [ids[0]]
        assert queue(status="fail") == [ids[1]]
        assert queue(learner="quinn", status="pass") == [ids[2], ids[0]]
        assert queue(learner="nobody") == []


# --- problems -----------------------------------------------------------------------------------


def test_every_error_is_a_problem(hub: Hub):
    sid = str(uuid.uuid4())
    with hub.client("ada") as ada:
        is_problem(ada.get("/v1/nowhere"), 404)
        is_problem(ada.get(f"/v1/submissions/{sid}"), 404)
        wrong = is_problem(ada.delete(f"/v1/submissions/{sid}"), 405)
        assert "PUT" in wrong["detail"]
        assert set(ada.delete(f"/v1/submissions/{sid}").headers["allow"].split(", ")) == {
            "GET", "HEAD", "PUT", "OPTIONS"}
        is_problem(ada.put(f"/v1/submissions/{sid}", content=b'{"kind": ',
                           headers={"Content-Type": "application/json"}), 400)
        is_problem(ada.put(f"/v1/submissions/{sid}", content=b"hello",
                           headers={"Content-Type": "text/plain"}), 415)
        broken = submission()
        del broken["report"]["checks"][0]["title"]
        problem = is_problem(ada.put(f"/v1/submissions/{sid}", json=broken), 422)
        assert any(e["field"] == "report.checks.0.title" for e in problem["errors"])
        is_problem(ada.put(f"/v1/submissions/{sid}", json={**submission(), "kind": "x"}), 422)
        is_problem(ada.put(f"/v1/submissions/{sid}", json={**submission(), "extra": 1}), 422)
        is_problem(httpx.get(f"{hub.url}/v1/me", trust_env=False), 401)
    options = httpx.options(f"{hub.url}/v1/submissions/{sid}", trust_env=False)
    assert options.status_code == 204 and "PUT" in options.headers["allow"]
    type_uri = is_problem(httpx.get(f"{hub.url}/v1/me", trust_env=False), 401)["type"]
    described = httpx.get(hub.url + type_uri, trust_env=False)
    assert described.status_code == 200 and described.json()["title"]


def test_405_on_a_route_outside_the_document_still_lists_allow(hub: Hub):
    # /docs is left out of the OpenAPI document; its Allow must still name what it supports
    response = httpx.delete(f"{hub.url}/docs", trust_env=False)
    problem = is_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert "GET" in problem["detail"]


def test_openapi_documents_every_route_with_tags_and_problems(hub: Hub):
    document = httpx.get(f"{hub.url}/openapi.json", trust_env=False).json()
    operations = [op for path, ops in document["paths"].items() if path.startswith("/v1")
                  for op in ops.values()]
    assert len(operations) == 19  # with the gradebook, the cohort at a glance and its stuck list,
    # certificates, captures
    assert all(op.get("tags") and op.get("description") for op in operations)
    assert all("application/problem+json" in op["responses"]["401"]["content"]
               for op in operations)
    assert document["components"]["securitySchemes"]["hubToken"]["scheme"] == "bearer"
    assert {tag["name"] for tag in document["tags"]} >= {"submissions", "feedback", "reviews", "captures"}


# --- reviews and feedback -----------------------------------------------------------------------


def test_review_rules(hub: Hub):
    sid = str(uuid.uuid4())
    with hub.client("ada") as ada, hub.client("mia") as mia:
        ada.put(f"/v1/submissions/{sid}", json=submission(seed=21)).raise_for_status()
        url = f"/v1/submissions/{sid}/review"
        is_problem(mia.put(url, json={"verdict": "approved", "score_override": 3}), 422)
        is_problem(mia.put(url, json={"verdict": "approved", "score_override": 3,
                                      "reason": "  "}), 422)
        is_problem(mia.put(url, json={"verdict": "approved", "score_override": 4,
                                      "reason": "generous"}), 422)  # max_score is 3
        is_problem(mia.put(url, json={"verdict": "approved", "score_override": -1,
                                      "reason": "mean"}), 422)
        is_problem(mia.put(url, json={"verdict": "perfect"}), 422)
        for blank in ({}, {"body": ""}, {"body": " \n\t "}):  # changes, but which?
            refused = mia.put(url, json={"verdict": "changes_requested", **blank})
            problem = is_problem(refused, 422)
            assert [error["field"] for error in problem["errors"]] == ["body"]
            # RFC 9110's name, on the status line as in the title
            assert refused.reason_phrase == problem["title"] == "Unprocessable Content"
            assert "needs a comment" in problem["errors"][0]["message"]
        assert ada.get(f"/v1/submissions/{sid}").json()["review_state"] == "awaiting"

        etag = mia.get(f"/v1/submissions/{sid}").headers["etag"]
        first = mia.put(url, json={"verdict": "approved", "score_override": 3,
                                   "reason": "check-2 fails on a grader bug"},
                        headers={"If-Match": etag})
        assert first.status_code == 201
        assert first.json()["effective_score"] == 3 and first.json()["score"] == 2
        same = mia.put(url, json={"verdict": "approved", "score_override": 3,
                                  "reason": "check-2 fails on a grader bug"})
        assert same.status_code == 200
        is_problem(mia.put(url, json={"verdict": "changes_requested", "body": "Add a 404."},
                           headers={"If-Match": etag}), 412)  # stale: the review moved it
        changed = mia.put(url, json={"verdict": "changes_requested", "body": "Add a 404."})
        assert changed.status_code == 200
        resent = mia.put(url, json={"verdict": "changes_requested", "body": "Add a 404."})
        commented = mia.put(url, json={"verdict": "changes_requested", "body": "And a 405."})
        assert resent.status_code == commented.status_code == 200

        reviews = [item for item in ada.get(f"/v1/submissions/{sid}/feedback").json()["items"]
                   if item["kind"] == "review"]
        assert [r["verdict"] for r in reviews] == ["approved"] + ["changes_requested"] * 2
        assert [r["body"] for r in reviews[1:]] == ["Add a 404.", "And a 405."]
        assert reviews[0]["score_override"] == 3 and reviews[0]["reason"]
        assert ada.get(url).json()["review_state"] == "changes_requested"


def test_feedback_on_a_check_and_the_sync_stream(hub: Hub):
    hub.add_user("rae", "learner")
    sid = str(uuid.uuid4())
    with hub.client("rae") as rae, hub.client("mia") as mia:
        rae.put(f"/v1/submissions/{sid}", json=submission()).raise_for_status()
        url = f"/v1/submissions/{sid}/feedback"
        problem = is_problem(mia.post(url, json={"body": "hm", "check_id": "no-such"}), 422)
        assert "check-0" in problem["detail"]
        is_problem(mia.post(url, json={"body": ""}), 422)
        note = mia.post(url, json={"body": "**Look** at the `Location`", "check_id": "check-2"})
        assert note.status_code == 201
        assert rae.get(note.headers["location"]).json()["body"] == "**Look** at the `Location`"
        for n in range(4):
            mia.post(url, json={"body": f"note {n}"}).raise_for_status()
        mia.put(f"/v1/submissions/{sid}/review", json={"verdict": "approved"}).raise_for_status()

        everything = rae.get("/v1/feedback").json()["items"]
        assert [i["kind"] for i in everything] == ["note"] * 5 + ["review"]
        seqs = [item["seq"] for item in everything]
        assert seqs == sorted(seqs)
        after = rae.get("/v1/feedback", params={"after": seqs[2]}).json()["items"]
        assert [i["seq"] for i in after] == seqs[3:]
        paged = rae.get("/v1/feedback", params={"limit": 4})
        assert len(paged.json()["items"]) == 4 and "next" in paged.links
        rest = rae.get(paged.links["next"]["url"]).json()
        assert [i["seq"] for i in rest["items"]] == seqs[4:] and rest["next_cursor"] is None
        since = rae.get("/v1/feedback", params={"since": everything[-1]["created_at"]})
        assert [i["id"] for i in since.json()["items"]] == [everything[-1]["id"]]
        is_problem(rae.get("/v1/feedback", params={"since": "2025-01-01T00:00:00"}), 422)


# --- cohort -------------------------------------------------------------------------------------


def test_cohort_stats_count_each_learners_latest_submission(hub: Hub):
    runs = {  # learner -> runs in order; only the last one counts
        "s1": [(False, False, False), (True, True, False)],
        "s2": [(True, False, False)],
        "s3": [(True, True, True)],
    }
    for name, passes in runs.items():
        hub.add_user(name, "learner")
        with hub.client(name) as learner:
            for seed, passed in enumerate(passes):
                learner.put(f"/v1/submissions/{uuid.uuid4()}",
                            json=submission(seed=seed, passed=passed, exercise="stats-ex"),
                            ).raise_for_status()
    with hub.client("mia") as mia:
        stats = mia.get("/v1/cohort/exercises/stats-ex/stats").json()
        empty = mia.get("/v1/cohort/exercises/never-tried/stats").json()
    assert stats["learners"] == 3
    rates = {c["id"]: (c["attempts"], c["passed"], c["pass_rate"]) for c in stats["checks"]}
    assert rates == {"check-0": (3, 3, 1.0), "check-1": (3, 2, 0.6667),
                     "check-2": (3, 1, 0.3333)}
    assert [(c["id"], c["failures"]) for c in stats["most_failing"]] == [
        ("check-2", 2), ("check-1", 1)]
    assert empty == {"exercise": "never-tried", "kind": None, "learners": 0, "checks": [],
                     "most_failing": []}


# --- tokens -------------------------------------------------------------------------------------


def test_revocation_takes_effect_immediately(hub: Hub):
    hub.add_user("sam", "learner")
    with hub.client("sam") as sam:
        assert sam.get("/v1/me").status_code == 200
        result = CliRunner().invoke(hub_cli, ["revoke", "sam", "--db", str(hub.db)])
        assert result.exit_code == 0, result.output
        refused = sam.get("/v1/me")
        is_problem(refused, 401)
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]


def test_tokens_are_never_stored_in_clear(hub: Hub):
    files = [p for p in hub.db.parent.iterdir() if p.name.startswith(hub.db.name)]
    raw = b"".join(p.read_bytes() for p in files)
    assert len(hub.tokens) >= 2
    for token in hub.tokens.values():
        assert token.encode() not in raw
        assert token.removeprefix("apilab_").encode() not in raw
        assert hash_token(token).encode() in raw


def test_authenticated_answers_are_not_cached_by_others(hub: Hub):
    with hub.client("ada") as ada:
        me = ada.get("/v1/me")
    assert me.json() == {"name": "ada", "role": "learner"}
    assert me.headers["cache-control"] == "no-store"


# --- in-process hubs with small limits ----------------------------------------------------------


async def test_rate_limit_answers_429_with_retry_after(tmp_path: Path):
    app = create_hub_app(HubSettings(db_path=tmp_path / "hub.db", rate_limit=3))
    token = new_token()
    app.state.store.add_user("ada", "learner", hash_token(token))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        answers = [await client.get("/v1/me") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["ratelimit-policy"] == '"default";q=3;w=60'
    remaining = [int(re.search(r";r=(\d+)", a.headers["ratelimit"])[1]) for a in answers]
    assert remaining == [2, 1, 0, 0]
    refused = answers[-1]
    problem = is_problem(refused, 429)
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60 and str(retry_after) in problem["detail"]
    assert int(re.search(r";t=(\d+)", refused.headers["ratelimit"])[1]) <= retry_after


async def test_guessing_tokens_is_rate_limited_too(tmp_path: Path):
    app = create_hub_app(HubSettings(db_path=tmp_path / "hub.db", rate_limit=5))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://hub") as client:
        answers = [await client.get("/v1/me", headers={"Authorization": f"Bearer {new_token()}"})
                   for _ in range(7)]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 2


async def test_oversized_bodies_are_refused(tmp_path: Path):
    app = create_hub_app(HubSettings(db_path=tmp_path / "hub.db", max_body_bytes=300))
    token = new_token()
    app.state.store.add_user("ada", "learner", hash_token(token))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        response = await client.put(f"/v1/submissions/{uuid.uuid4()}", json=submission())
    is_problem(response, 413)
    assert app.state.store.count_submissions() == 0
