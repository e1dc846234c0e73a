"""HubClient against a real uvicorn hub, and its errors: an outbox can tell "try again later"
(HubUnavailable) from "this will never work" (any other HubError)."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from apilab.hubclient import (
    COMPRESS_FROM,
    HubAuthError,
    HubClient,
    HubConflict,
    HubError,
    HubNotFound,
    HubRateLimited,
    HubUnavailable,
)
from apilab.ports import free_port
from grader.report import SCHEMA_VERSION
from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.protocol import Me
from hub.store import HubStore


class Recording(httpx.BaseTransport):
    """A real transport that remembers the status of every answer."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.statuses.append(response.status_code)
        return response


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    db = tmp_path_factory.mktemp("hub") / "hub.db"
    tokens = {name: new_token() for name in ("ada", "bob", "mia", "gone")}
    store = HubStore(db)
    for name, token in tokens.items():
        store.add_user(name, "mentor" if name == "mia" else "learner", hash_token(token))
    store.revoke("gone")
    store.close()
    with hub_process(db) as url:
        yield url, tokens


def client(hub: tuple[str, dict[str, str]], name: str, **kwargs) -> HubClient:
    url, tokens = hub
    return HubClient(url, tokens[name], **kwargs)


def test_a_learner_and_a_mentor_round_trip(hub, report_factory):
    recording = Recording()
    with client(hub, "ada", transport=recording) as ada, client(hub, "mia") as mia:
        assert ada.me() == Me(name="ada", role="learner")
        sid = str(uuid.uuid4())
        report = report_factory(seed=3).to_json()
        assert ada.put_submission(sid, report, "submit") is True
        assert ada.put_submission(sid, report, "submit") is False  # a resend, stored once

        first = ada.submission(sid)
        again = ada.submission(sid)
        assert again == first and recording.statuses[-2:] == [200, 304]
        assert first.report().seed == 3 and first.etag

        note = mia.add_feedback(sid, "Look at **check-2**", check_id="check-2")
        reviewed = mia.review(sid, "changes_requested", score_override=1, reason="half right",
                             body="Add the 404.")
        assert reviewed.effective_score == 1 and reviewed.overridden
        items = ada.feedback_since(0)
        assert [item.kind for item in items] == ["note", "review"]
        assert ada.feedback_since(note.seq) == items[1:]
        assert ada.feedback_since(datetime.now(UTC) + timedelta(hours=1)) == []
        assert [i.id for i in mia.feedback_on(sid)] == [i.id for i in items]
        assert ada.submission(sid).review_state == "changes_requested"  # ETag moved: 200
        assert recording.statuses[-1] == 200

        stats = mia.cohort_stats("hello-api")
        assert stats.learners == 1 and stats.most_failing[0].id == "check-2"


def test_submissions_follow_every_page(hub, report_factory):
    with client(hub, "bob") as bob:
        ids = [str(uuid.uuid4()) for _ in range(5)]
        for sid in ids:
            bob.put_submission(sid, report_factory(exercise="paged").to_json(), "check")
        seen = [s.id for s in bob.submissions(exercise="paged", limit=2)]
        first = bob.submissions_page(exercise="paged", limit=2)
        second = bob.submissions_page(first.next_cursor, exercise="paged", limit=2)
    assert seen == list(reversed(ids))
    assert [s.id for s in [*first.items, *second.items]] == seen[:4]


def test_refusals_raise_errors_that_are_not_unavailable(hub, report_factory):
    with client(hub, "ada") as ada, client(hub, "bob") as bob, client(hub, "gone") as gone:
        sid = str(uuid.uuid4())
        ada.put_submission(sid, report_factory(seed=1).to_json(), "submit")
        with pytest.raises(HubConflict, match="different report"):
            ada.put_submission(sid, report_factory(seed=2).to_json(), "submit")
        with pytest.raises(HubNotFound) as not_found:
            bob.submission(sid)
        assert not_found.value.status == 404 and not_found.value.problem["status"] == 404
        with pytest.raises(HubAuthError, match="Ask your mentor") as revoked:
            gone.me()
        assert revoked.value.status == 401 and revoked.value.request.url.path == "/v1/me"
        with pytest.raises(HubAuthError) as forbidden:
            ada.review(sid, "approved")
        assert forbidden.value.status == 403
        for error in (not_found, revoked, forbidden):
            assert not isinstance(error.value, HubUnavailable)


def test_a_hub_that_is_down_is_unavailable(report_factory):
    with HubClient(f"http://127.0.0.1:{free_port()}", new_token(), timeout=2) as nowhere, \
            pytest.raises(HubUnavailable, match="cannot reach the hub"):
        nowhere.put_submission(str(uuid.uuid4()), report_factory().to_json(), "check")


def test_a_hub_that_does_not_answer_is_unavailable():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with HubClient(url, new_token(), timeout=0.3) as hub, \
                pytest.raises(HubUnavailable, match="did not answer"):
            hub.me()


@pytest.mark.parametrize(("status", "kind"), [(500, HubUnavailable), (502, HubUnavailable),
                                              (503, HubUnavailable), (400, HubError)])
def test_server_errors_are_unavailable_and_client_errors_are_not(status: int, kind: type):
    transport = httpx.MockTransport(lambda request: httpx.Response(
        status, json={"type": "about:blank", "title": "x", "status": status, "detail": "boom"},
        headers={"Content-Type": "application/problem+json"}))
    with HubClient("http://hub", new_token(), transport=transport) as hub, \
            pytest.raises(kind, match="boom") as raised:
        hub.me()
    assert type(raised.value) is kind


def test_rate_limited_says_when_to_retry():
    transport = httpx.MockTransport(lambda request: httpx.Response(
        429, headers={"Retry-After": "7"}, text="slow down"))
    with HubClient("http://hub", new_token(), transport=transport) as hub, \
            pytest.raises(HubRateLimited) as raised:
        hub.me()
    assert raised.value.retry_after == 7 and isinstance(raised.value, HubUnavailable)


def test_reports_travel_byte_for_byte(hub, report_factory):
    # What the learner's machine wrote, odd spacing, key order and escapes included, is what a
    # mentor reads: nothing parses and dumps it again on the way (compressed or not).
    sid = str(uuid.uuid4())
    written = report_factory(seed=12).to_json(indent=4).replace('"seed": 12', '"seed" :12')
    written = written.replace('"title": "Check number 1"', '"title": "Check \\u006eumber 1 / é"')
    assert len(written) > COMPRESS_FROM  # so it travels gzip-compressed
    recording = Recording()
    with client(hub, "ada") as ada, client(hub, "mia", transport=recording) as mia:
        ada.put_submission(sid, written, "submit")
        detail = mia.submission(sid)
        raw_answer = mia._http.get(f"/v1/submissions/{sid}",
                                   headers={"Authorization": f"Bearer {hub[1]['mia']}"}).content
    assert detail.report_json.encode() == written.encode()
    assert written.encode() in raw_answer
    assert detail.report().checks[1].title == "Check number 1 / é"


def test_a_report_of_a_newer_schema_is_accepted_stored_and_read(hub, report_factory):
    newer = json.loads(report_factory(seed=13).to_json())
    newer["schema"] = SCHEMA_VERSION + 1
    newer["signed_by"] = "grader 9"  # fields this version does not know, at every level
    newer["checks"][0]["flaky"] = True
    newer["checks"][0]["exchanges"][0]["request"]["http_version"] = "HTTP/3"
    text = json.dumps(newer)
    sid = str(uuid.uuid4())
    with client(hub, "ada") as ada, client(hub, "mia") as mia:
        assert ada.put_submission(sid, text, "submit") is True
        detail = mia.submission(sid)
    assert detail.report_json == text  # kept whole, unknown fields included
    report = detail.report()
    assert report.from_newer_version and report.seed == 13 and len(report.checks) == 3



def test_an_address_that_is_not_a_hub_is_a_hub_error():
    # A web page or a captive portal answers 200 with HTML: a clear HubError, not a traceback.
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from tests.hostile_servers import serve_app

    portal = FastAPI()
    portal.get("/v1/me", response_class=HTMLResponse)(lambda: "<html>Welcome to the café</html>")
    with serve_app(portal) as url, HubClient(url, new_token()) as client, \
            pytest.raises(HubError, match="not JSON .*text/html.*is this the address of an apilab hub"):
        client.me()


def test_an_open_client_picks_up_a_new_login(hub):
    # ada's app is open when she logs in again with a new token (her old one revoked): the next
    # call uses the new one, with no restart.
    url, tokens = hub
    store_token = {"now": tokens["gone"]}
    with HubClient(url, tokens["gone"], relogin=lambda: store_token["now"]) as app_client:
        with pytest.raises(HubAuthError):
            app_client.me()  # nobody logged in again yet: the refusal stands
        store_token["now"] = tokens["ada"]
        assert app_client.me().name == "ada"


def test_uploads_are_compressed_and_get_time_in_proportion(hub, report_factory):
    sent = []

    class Watching(httpx.BaseTransport):
        inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            sent.append((request.headers.get("content-encoding"), len(request.content),
                         request.extensions["timeout"]))
            return self.inner.handle_request(request)

    report = report_factory(seed=21).to_json(indent=2)
    with client(hub, "ada", transport=Watching(), timeout=3) as ada:
        assert ada.put_submission(str(uuid.uuid4()), report, "submit")
        small, large = ada.upload_timeout(1_000), ada.upload_timeout(5_000_000)
    encoding, size, timeout = sent[-1]
    assert encoding == "gzip" and size < len(report) / 3
    assert timeout["connect"] == 3 and timeout["read"] >= 30
    assert large.read > small.read >= 30 and large.connect == small.connect == 3
