"""Snapshots of the mentor's screens at 80x24 and 120x40, from a hub stand-in with fixed data
(names, times, scores, check titles as long as the course's), so nothing random reaches the
screen. The real hub is in test_tui_mentor.py.

Update after an intended change with: pytest tests/test_tui_mentor_snapshots.py --snapshot-update
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.protocol import (
    Capture,
    CohortStats,
    Feedback,
    Me,
    SubmissionDetail,
    SubmissionPage,
    SubmissionSummary,
)
from tests.helpers import LONG_CHECK_TITLES, make_report, settle
from tui.mentor_app import MentorApp

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
CREATED = "2025-03-14T09:30:00+00:00"


def summary(sid: str, learner: str, exercise: str, passed: tuple[bool, ...],
            review: dict[str, Any] | None = None, minute: int = 30) -> SubmissionDetail:
    report = make_report(exercise, passed=passed, titles=LONG_CHECK_TITLES[:len(passed)])
    override = review.get("score_override") if review else None
    return SubmissionDetail.model_validate({
        "id": sid, "url": f"/v1/submissions/{sid}", "learner": learner, "exercise": exercise,
        "exercise_id": report.exercise_id, "kind": "submit", "status": report.status,
        "score": report.score, "max_score": report.max_score,
        "effective_score": report.score if override is None else override,
        "created_at": f"2025-03-14T09:{minute:02d}:00+00:00",
        "review_state": review["verdict"] if review else "awaiting", "review": review,
        "report_json": report.to_json(), "etag": f'"{sid}"',
    })


class FixedHub:
    """Answers like HubClient, from fixed data: four submissions, one note, one review, one
    capture of the security lab."""

    base_url = "https://hub.example.org"

    def __init__(self) -> None:
        reviewed = {"verdict": "changes_requested", "reviewed_by": "mia",
                    "reviewed_at": "2025-03-14T10:05:00+00:00", "score_override": 1,
                    "reason": "the ids are hard-coded"}
        self.items = [
            summary("s-4", "ada", "hello-api", (True, True, False), minute=44),
            summary("s-3", "bob", "hello-api", (True, False, False), minute=41),
            summary("s-2", "cy", "whoami", (True,), minute=35),
            summary("s-1", "dee", "hello-api", (True, True, True), reviewed, minute=30),
        ]
        self.feedback = {"s-4": [Feedback(
            id="f-1", seq=1, url="/v1/feedback/f-1", submission_id="s-4", exercise="hello-api",
            learner="ada", author="mia", kind="note", check_id="check-2",
            body="Return **201 Created** and a `Location` header.", verdict=None,
            score_override=None, reason=None, created_at="2025-03-14T10:00:00+00:00")]}

    def me(self) -> Me:
        return Me(name="mia", role="mentor")

    def submissions_page(self, cursor: str | None = None, limit: int = 50,
                         view: str = "latest", **filters: str) -> SubmissionPage:
        def keep(item: SubmissionSummary) -> bool:
            fields = {"exercise": item.exercise, "learner": item.learner,
                      "status": item.status, "review": item.review_state}
            return all(fields[name] == value for name, value in filters.items())

        return SubmissionPage(items=[SubmissionSummary.model_validate(item.model_dump())
                                     for item in self.items if keep(item)], next_cursor=None)

    def submission(self, sid: str) -> SubmissionDetail:
        return next(item for item in self.items if item.id == sid)

    def feedback_on(self, sid: str) -> list[Feedback]:
        return self.feedback.get(sid, [])

    def captures(self) -> list[Capture]:
        return [Capture(learner="ada", challenge="bola", category="API1",
                        captured_at="2025-03-13T16:20:00+00:00",
                        received_at="2025-03-13T16:20:01+00:00")]

    def cohort_stats(self, exercise: str, kind: str | None = None) -> CohortStats:
        return CohortStats.model_validate({"exercise": exercise, "kind": kind, "learners": 3, "checks": [
            {"id": "check-0", "title": LONG_CHECK_TITLES[0], "attempts": 3, "passed": 3,
             "pass_rate": 1.0},
            {"id": "check-1", "title": LONG_CHECK_TITLES[1], "attempts": 3, "passed": 2,
             "pass_rate": 0.6667},
            {"id": "check-2", "title": LONG_CHECK_TITLES[2], "attempts": 3,
             "passed": 1, "pass_rate": 0.3333}],
            "most_failing": [
                {"id": "check-2", "title": LONG_CHECK_TITLES[2], "failures": 2,
                 "fail_rate": 0.6667},
                {"id": "check-1", "title": LONG_CHECK_TITLES[1], "failures": 1,
                 "fail_rate": 0.3333}]})


pytestmark = pytest.mark.usefixtures("utc")


@pytest.fixture(params=SIZES.values(), ids=SIZES.keys())
def size(request) -> tuple[int, int]:
    return request.param


@pytest.fixture
def mentor_app(fixture_course) -> MentorApp:
    return MentorApp(FixedHub(), fixture_course)  # type: ignore[arg-type]


def after(*keys: str):
    """Settle the hub calls, press `keys`, settle again."""
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_queue(snap_compare, mentor_app, size):
    assert snap_compare(mentor_app, run_before=after(), terminal_size=size)


def test_queue_help(snap_compare, mentor_app, size):
    assert snap_compare(mentor_app, run_before=after("question_mark"), terminal_size=size)


def test_submission_with_its_feedback(snap_compare, mentor_app, size):
    assert snap_compare(mentor_app, run_before=after("enter"), terminal_size=size)


def test_feedback_editor_on_a_check(snap_compare, mentor_app, size):
    async def write(pilot) -> None:
        await after("enter", "c")(pilot)
        await pilot.press(*"Close! Look at the Location header.")
        await pilot.pause()

    assert snap_compare(mentor_app, run_before=write, terminal_size=size)


def test_review_modal_asks_for_a_reason(snap_compare, mentor_app, size):
    assert snap_compare(mentor_app, run_before=after("enter", "x", "tab", "1", "ctrl+s"),
                        terminal_size=size)


def test_cohort(snap_compare, mentor_app, size):
    assert snap_compare(mentor_app, run_before=after("o"), terminal_size=size)
