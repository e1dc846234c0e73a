"""The cohort at a glance: started, passed and approved per exercise of the course, and who is
stuck (idle for a week, or the same check failing run after run) with the check that stops
them most."""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx
import pytest

from hub.app import create_hub_app
from hub.auth import hash_token, new_token
from hub.cohort_progress import cohort_progress
from hub.protocol import CohortProgress, StuckPage
from hub.settings import HubSettings
from hub.store import HubStore
from tests.helpers import FIXED_TIME, FIXTURE_COURSE, make_report
from tests.hub_cohort import Cohort


class Clock:
    def __init__(self) -> None:
        self.now = FIXED_TIME

    def __call__(self):
        return self.now


@pytest.fixture
def hub(tmp_path):
    clock = Clock()
    store = HubStore(tmp_path / "hub.db", clock=clock)
    store.clock = clock
    yield store
    store.close()


_ids = itertools.count(1)


def send(store: HubStore, learner, exercise: str, passed: tuple[bool, ...]) -> str:
    sid = f"00000000-0000-4000-8000-{next(_ids):012}"
    store.put_submission(learner, sid, "submit", make_report(exercise=exercise, passed=passed))
    return sid


def test_counts_and_the_stuck(hub: HubStore, fixture_course):
    ada, bob, cy, dee = (hub.add_user(name, "learner", hash_token(name))
                         for name in ("ada", "bob", "cy", "dee"))
    mia = hub.add_user("mia", "mentor", hash_token("mia"))
    approved = send(hub, ada, "hello-api", (True, True, True))
    hub.set_review(approved, mia, "approved", None, None)
    send(hub, cy, "hello-api", (True, False, True))  # cy stops here: idle after a week
    hub.clock.now += timedelta(days=8)
    for _ in range(3):  # bob fails check-1 three times running (check-2 only once)
        send(hub, bob, "hello-api", (True, False, True))
        hub.clock.now += timedelta(hours=1)
    send(hub, dee, "hello-api", (False, True, True))  # dee: recent, one run: not stuck
    send(hub, dee, "whoami", (True, True))

    glance, more = cohort_progress(hub, fixture_course, hub.clock.now, first_page=20)
    assert more is None and glance.stuck_count == 2
    hello, whoami = glance.exercises
    assert (hello.exercise, hello.started, hello.passed, hello.approved, hello.stuck) == (
        "hello-api", 4, 1, 1, 2)
    assert (whoami.started, whoami.passed, whoami.approved, whoami.stuck) == (1, 1, 0, 0)
    assert [(s.learner, s.why, s.runs, s.check_id) for s in glance.stuck] == [
        ("cy", "idle", 1, "check-1"), ("bob", "repeating", 3, "check-1")]
    assert hello.stopping_check is not None
    assert (hello.stopping_check.id, hello.stopping_check.failures,
            hello.stopping_check.fail_rate) == ("check-1", 2, 1.0)
    assert hello.stopping_check.title == "Check number 1"
    assert whoami.stopping_check is None


def test_different_failures_each_run_are_not_the_same_check(hub: HubStore, fixture_course):
    bob = hub.add_user("bob", "learner", hash_token("bob"))
    for passed in ((False, True, True), (True, False, True), (True, True, False)):
        send(hub, bob, "hello-api", passed)
    glance, _ = cohort_progress(hub, fixture_course, hub.clock.now, first_page=20)
    assert glance.stuck == [] and glance.stuck_count == 0


@pytest.mark.asyncio(loop_scope="function")
async def test_mentors_read_it_over_http(cohort: Cohort):
    for _ in range(3):
        await cohort.submit("bob", "whoami", (True, False))
    answer = await cohort.http.get("/v1/cohort/progress", headers=cohort.auth("mia"))
    assert answer.status_code == 200, answer.text
    glance = CohortProgress.model_validate_json(answer.content)
    assert [e.exercise for e in glance.exercises] == ["hello-api", "whoami"]
    assert [(s.learner, s.why, s.check_id) for s in glance.stuck] == [("bob", "repeating",
                                                                        "check-1")]
    refused = await cohort.http.get("/v1/cohort/progress", headers=cohort.auth("ada"))
    assert refused.status_code == 403


@pytest.mark.asyncio(loop_scope="function")
async def test_many_stuck_learners_come_a_page_at_a_time(hub: HubStore, tmp_path):
    for n in range(300):  # each sent one failing run long ago (the fixed clock): all stuck
        learner = hub.add_user(f"learner-{n:04}", "learner", hash_token(f"learner-{n}"))
        send(hub, learner, "hello-api", (True, False, True))
    token = new_token()
    hub.add_user("mia", "mentor", hash_token(token))
    app = create_hub_app(HubSettings(db_path=tmp_path / "hub.db", course_root=FIXTURE_COURSE))
    mentor = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub") as http:
        try:
            await _page_through(http, mentor)
        finally:
            app.state.store.close()


async def _page_through(http: httpx.AsyncClient, mentor: dict[str, str]) -> None:
    first = await http.get("/v1/cohort/progress", headers=mentor, params={"limit": 25})
    assert first.status_code == 200, first.text
    glance = CohortProgress.model_validate_json(first.content)
    assert glance.stuck_count == 300 and len(glance.stuck) == 25
    assert glance.exercises[0].stuck == 300  # the counts cover everyone, not the page
    seen = [s.learner for s in glance.stuck]
    cursor, pages = glance.stuck_next_cursor, 1
    while cursor:
        answer = await http.get("/v1/cohort/stuck", headers=mentor,
                                params={"cursor": cursor, "limit": 25})
        assert answer.status_code == 200, answer.text
        page = StuckPage.model_validate_json(answer.content)
        assert len(page.items) == 25
        assert ("Link" in answer.headers) == (page.next_cursor is not None)
        seen += [s.learner for s in page.items]
        cursor, pages = page.next_cursor, pages + 1
    assert pages == 12 and seen == [f"learner-{n:04}" for n in range(300)]  # once each, in order


@pytest.mark.asyncio(loop_scope="function")
async def test_a_stuck_page_refuses_a_cursor_it_did_not_issue(cohort: Cohort):
    answer = await cohort.http.get("/v1/cohort/stuck", headers=cohort.auth("mia"),
                                   params={"cursor": "bm90LWEtY3Vyc29y"})
    assert answer.status_code == 400 and "cursor" in answer.json()["detail"]
    refused = await cohort.http.get("/v1/cohort/stuck", headers=cohort.auth("ada"))
    assert refused.status_code == 403
