"""Hostile uploads, each reproduced first: reports that cannot be right, oversized and compressed
bodies, anonymous uploads, out-of-range input, one learner filling the disk, and forged client
addresses. In-process (ASGI) for the routes; a real hub where the address matters."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from hub.app import create_hub_app
from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.settings import HubSettings
from tests.helpers import TLS, make_report

LEARNER, MENTOR = new_token(), new_token()


@pytest.fixture
async def hub(tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_hub_app(HubSettings(db_path=tmp_path / "hub.db", quota_bytes=60_000,
                                     quota_hour_bytes=40_000, max_report_bytes=200_000))
    app.state.store.add_user("ada", "learner", hash_token(LEARNER))
    app.state.store.add_user("mia", "mentor", hash_token(MENTOR))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub",
                                 headers={"Authorization": f"Bearer {LEARNER}"}) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


def report(**changes) -> dict:
    document = json.loads(make_report().to_json())
    document.update(changes)
    return document


async def put(client: httpx.AsyncClient, document: dict | str | bytes, **headers: str):
    if isinstance(document, dict):
        document = json.dumps({"kind": "submit", "report": document})
    content = document.encode() if isinstance(document, str) else document
    return await client.put(f"/v1/submissions/{uuid.uuid4()}", content=content,
                            headers={"Content-Type": "application/json", **headers})


def check(index: int, **changes) -> dict:
    document = report()
    document["checks"][index].update(changes)
    return document


NONSENSE = {
    "a score above the maximum": report(score=999, max_score=67),
    "negative points": check(0, points=-5),
    "pass with every check failed": report(status="pass", **{"checks": [
        {**c, "status": "fail", "points": 0} for c in report()["checks"]]}, score=0),
    "a 150 KB slug": report(exercise="a" * 150_000),
    "a slug that is not one": report(exercise="reading-list[/]"),
    "duplicate check ids": check(1, id="check-0"),
    "a score past SQLite's integers": report(score=9223372036854775808),
    "points that do not add up": report(score=1),
    "an error report with checks": report(status="error"),
    "a huge title": check(0, title="x" * 100_000),
}


@pytest.mark.parametrize("name", list(NONSENSE))
async def test_a_report_that_cannot_be_right_is_422_and_not_stored(hub, name):
    response = await put(hub, NONSENSE[name])
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"].startswith("report") and problem["detail"]
    assert hub.app.state.store.count_submissions() == 0


async def test_too_many_checks_are_refused(tmp_path):
    app = create_hub_app(HubSettings(db_path=tmp_path / "hub.db", max_checks=2))
    app.state.store.add_user("ada", "learner", hash_token(LEARNER))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub",
                                 headers={"Authorization": f"Bearer {LEARNER}"}) as client:
        response = await put(client, report())
    assert response.status_code == 422 and "at most 2 checks" in response.text


async def test_the_report_is_stored_as_received_not_inflated(hub):
    # Escapes and spacing survive, and the database holds the bytes received, not a re-dump
    # (which turned a 3.4 MB request into 8.4 MB stored).
    text = make_report().to_json(indent=8).replace("Check number", "Ch\\u00e9ck")
    response = await put(hub, f'{{"kind":"check","report":{text}}}')
    assert response.status_code == 201
    stored = hub.app.state.store.db.execute("SELECT report, report_bytes FROM submissions"
                                            ).fetchone()
    assert stored[0] == text and stored[1] == len(text.encode())


async def test_compressed_bodies_are_accepted_and_bombs_are_not(hub):
    body = json.dumps({"kind": "submit", "report": report()}).encode()
    packed = await put(hub, gzip.compress(body), **{"Content-Encoding": "gzip"})
    assert packed.status_code == 201, packed.text
    bomb = gzip.compress(b" " * 10_000_000)  # 10 KB that unfold into 10 MB
    refused = await put(hub, bomb, **{"Content-Encoding": "gzip"})
    assert refused.status_code == 413 and "uncompressed" in refused.json()["detail"]
    other = await put(hub, body, **{"Content-Encoding": "br"})
    assert other.status_code == 415 and other.headers["accept-encoding"] == "gzip"
    broken = await put(hub, gzip.compress(body)[:-20], **{"Content-Encoding": "gzip"})
    assert broken.status_code == 400


async def test_one_learner_cannot_fill_the_disk(hub):
    statuses = []
    for seed in range(30):  # each report is about 2.5 KB; the hour allows 40 KB
        document = json.loads(make_report(seed=seed).to_json())
        statuses.append((await put(hub, document)).status_code)
    assert 201 in statuses and statuses[-1] == 429
    refused = await put(hub, report())
    assert refused.json()["type"] == "/problems/upload-rate-limited"
    assert int(refused.headers["retry-after"]) >= 1
    stored = hub.app.state.store.db.execute("SELECT SUM(report_bytes) FROM submissions"
                                            ).fetchone()[0]
    assert stored <= 40_000


async def test_the_storage_quota_is_a_clear_413(tmp_path):
    app = create_hub_app(HubSettings(db_path=tmp_path / "hub.db", quota_bytes=5_000))
    app.state.store.add_user("ada", "learner", hash_token(LEARNER))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub",
                                 headers={"Authorization": f"Bearer {LEARNER}"}) as client:
        answers = [await put(client, report(seed=n)) for n in range(3)]
    assert [a.status_code for a in answers][-1] == 413
    assert answers[-1].json()["type"] == "/problems/quota-exceeded"
    assert "storage quota" in answers[-1].json()["detail"]


async def test_the_token_is_checked_before_the_body_is_read(tmp_path):
    app = create_hub_app(HubSettings(db_path=tmp_path / "hub.db"))
    read = []

    async def receive():
        read.append("body")  # an anonymous client streaming a huge body: never read
        return {"type": "http.request", "body": b"x" * 1_000_000, "more_body": True}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "PUT", "scheme": "http", "path": f"/v1/submissions/{uuid.uuid4()}",
             "raw_path": b"", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"host", b"hub")],
             "client": ("127.0.0.1", 5000), "server": ("hub", 80)}
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    assert sent[0]["status"] == 401 and read == []


@pytest.mark.parametrize("query", [
    "/v1/feedback?after=9223372036854775808", "/v1/feedback?since=0001-01-01T00:00:00%2B01:00",
    "/v1/feedback?since=9999-12-31T23:59:59-01:00", "/v1/submissions?limit=99999999999999999999"])
async def test_out_of_range_input_is_422_not_500(hub, query):
    response = await hub.get(query, headers={"Authorization": f"Bearer {MENTOR}"})
    assert response.status_code == 422, response.text


async def test_a_cursor_with_a_huge_number_is_refused_not_a_crash(hub):
    cursor = base64.urlsafe_b64encode(json.dumps({"before": 10**30}).encode()).decode()
    response = await hub.get("/v1/submissions", params={"cursor": cursor.rstrip("=")},
                             headers={"Authorization": f"Bearer {MENTOR}"})
    assert response.status_code == 400 and response.json()["type"] == "/problems/invalid-cursor"


@pytest.mark.parametrize(("trusted", "expected"), [((), 429), (("127.0.0.1",), 401)])
def test_forwarded_addresses_count_only_from_trusted_proxies(tmp_path, trusted, expected):
    # Guessing tokens from one machine while inventing X-Forwarded-For: without a trusted proxy
    # the hub counts the real address, so the throttle holds; behind a configured proxy, each
    # forwarded client has its own quota.
    with hub_process(tmp_path / "hub.db", rate_limit=5, trusted_proxies=trusted) as url:
        answers = [httpx.get(f"{url}/v1/me", trust_env=False, verify=TLS, headers={
            "Authorization": f"Bearer {new_token()}", "X-Forwarded-For": f"203.0.113.{n}"})
            for n in range(8)]
    assert answers[-1].status_code == expected


async def test_an_anonymous_body_to_another_route_is_refused_before_it_is_parsed(hub):
    # FastAPI parses these bodies before the route sees the token; they stay small.
    note = json.dumps({"body": "x" * 300_000})
    response = await hub.post(f"/v1/submissions/{uuid.uuid4()}/feedback", content=note,
                              headers={"Authorization": "", "Content-Type": "application/json"})
    assert response.status_code == 413 and "bytes this hub accepts here" in response.text
