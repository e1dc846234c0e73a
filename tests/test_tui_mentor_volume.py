"""Volume does not break the mentor's app: a long queue is one request per page (the hub filters
and pages), a report with thousands of checks shows a bounded number of rows whose details are
built only when opened, and a slow load can be left with Escape."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest

from apilab.hubclient import HubClient
from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.protocol import Feedback, Me, SubmissionDetail, SubmissionPage
from hub.store import HubStore
from tests.helpers import make_report, settle
from tui.mentor_app import MentorApp
from tui.screens.mentor_queue import PAGE, QueueScreen
from tui.screens.mentor_submission import SubmissionScreen
from tui.widgets.report_view import MAX_ROWS, ReportView

SIZE = (130, 40)


class Counting(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)


async def test_a_long_queue_costs_one_request_per_page(tmp_path, fixture_course):
    db, mentor = tmp_path / "hub.db", new_token()
    store = HubStore(db)
    store.add_user("mia", "mentor", hash_token(mentor))
    learners = [store.add_user(f"l{n}", "learner", hash_token(new_token())) for n in range(6)]
    for n in range(130):  # 6 learners, 13 exercises, some tried twice
        learner = learners[n % 6]
        store.put_submission(learner, str(uuid.uuid4()), "submit",
                             make_report(f"ex-{n % 13}", seed=n))
    store.close()
    counting = Counting()
    with hub_process(db) as url, HubClient(url, mentor, transport=counting) as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, QueueScreen)
            assert counting.paths.count("/v1/submissions") == 1
            assert len(screen.submissions) == PAGE and screen.next_cursor
            assert f"{PAGE}+ submissions awaiting review" in str(
                screen.query_one("#queue-status").render())
            await pilot.press("m")
            await settle(pilot)
            assert counting.paths.count("/v1/submissions") == 2
            assert len(screen.submissions) == 6 * 13 and screen.next_cursor is None
            ids = [item.id for item in screen.submissions]
            assert len(set(ids)) == len(ids)  # each once, the newest first across pages
            pairs = {(item.learner, item.exercise) for item in screen.submissions}
            assert len(pairs) == len(ids)  # the latest of each learner and exercise only


class SlowHub:
    """A hub stand-in whose submission answers when `release` is set; its report is huge."""

    base_url = "https://hub.example.org"

    def __init__(self, checks: int) -> None:
        passed = tuple(n % 7 != 0 for n in range(checks))
        report = make_report(passed=passed)
        self.detail = SubmissionDetail.model_validate({
            "id": "s-1", "url": "/v1/submissions/s-1", "learner": "ada", "exercise": "hello-api",
            "exercise_id": report.exercise_id, "kind": "submit", "status": report.status,
            "score": report.score, "max_score": report.max_score,
            "effective_score": report.score, "created_at": "2025-03-14T09:30:00+00:00",
            "review_state": "awaiting", "review": None, "report_json": report.to_json(),
            "etag": '"s-1.0"'})
        self.release = threading.Event()

    def me(self) -> Me:
        return Me(name="mia", role="mentor")

    def submissions_page(self, cursor=None, **filters) -> SubmissionPage:
        return SubmissionPage(items=[self.detail], next_cursor=None)

    def submission(self, sid: str) -> SubmissionDetail:
        self.release.wait(30)
        return self.detail

    def feedback_on(self, sid: str) -> list[Feedback]:
        return []

    def captures(self) -> list:
        return []


@pytest.mark.parametrize("checks", [800])
async def test_a_report_with_thousands_of_checks_shows_a_bounded_number_of_rows(checks,
                                                                              fixture_course):
    hub = SlowHub(checks)
    hub.release.set()
    app = MentorApp(hub, fixture_course)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SubmissionScreen)
        rows = screen.query_one(ReportView).rows
        failed = sum(1 for n in range(checks) if n % 7 == 0)
        assert len(rows) == MAX_ROWS and sum(r.state == "fail" for r in rows) == min(
            failed, MAX_ROWS)
        assert sum(row.detail is not None for row in rows) == 1  # only the open one is built
        summary = str(screen.query_one("#report-summary").render())
        assert f"showing {MAX_ROWS} of {checks} checks, failed ones first" in summary
        rows[1].collapsed = False
        await pilot.pause()
        assert sum(row.detail is not None for row in rows) == 2


async def test_escape_leaves_a_submission_that_is_still_loading(fixture_course):
    hub = SlowHub(3)
    app = MentorApp(hub, fixture_course)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SubmissionScreen)
        assert "Loading the report" in str(screen.query_one("#report-summary").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        hub.release.set()  # the answer arrives after the mentor left: nothing breaks
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
