"""An exercise's standing: the best run, with the mentor's verdict on that run beside it, through
realistic sequences of runs and reviews in a real store, and as the course list and
`apilab lessons` show it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apilab.store import Store
from apilab.store.standing import is_done
from apilab.views.progress import review_state, standing_text
from tests.helpers import FIXED_TIME, make_report

ALL, MOST, FEW = (True,) * 4, (True, True, True, False), (True, False, False, False)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "progress.db") as opened:
        yield opened


def run(store: Store, passed: tuple[bool, ...], minute: int, kind: str = "submit",
        **options) -> str:
    report = make_report(passed=passed, started_at=FIXED_TIME + timedelta(minutes=minute))
    return store.record_run(report, kind, **options)


def test_a_review_of_an_old_worse_attempt_is_not_the_current_state(store):
    old = run(store, MOST, 0)
    store.add_feedback(old, "mia", "Fair, for a first try.", verdict="approved", score_override=2,
                       reason="the 404 check was flaky")
    run(store, ALL, 10)  # a better submission, not reviewed yet
    state = store.progress()["hello-api"]
    assert (state.status, state.best_score, state.max_score) == ("passed", 4, 4)
    assert state.verdict is None and state.score_override is None  # not "2*/4 approved"
    assert state.earlier_verdict == "approved"
    assert review_state(state) == "not_reviewed"
    assert standing_text(state) == ("passed, submitted, not yet reviewed "
                                    "(an earlier attempt was approved)")


def test_an_approved_submission_stays_the_standing_after_a_regression(store):
    best = run(store, ALL, 0)
    store.add_feedback(best, "mia", "Clean work.", verdict="approved")
    run(store, FEW, 5, "check")  # a later change broke things
    run(store, MOST, 6)
    state = store.progress()["hello-api"]
    assert (state.best_run_id, state.best_score, state.verdict) == (best, 4, "approved")
    assert state.earlier_verdict is None and state.runs == 3
    assert is_done(state)


def test_changes_requested_on_the_best_run_leave_the_exercise_to_do(store):
    best = run(store, ALL, 0)
    store.add_feedback(best, "mia", "Every check passes, but the ids leak the row count.",
                       verdict="changes_requested")
    state = store.progress()["hello-api"]
    assert state.status == "passed" and state.verdict == "changes_requested"
    assert not is_done(state)  # so no "Every exercise passed" beside it
    assert standing_text(state) == "passed, changes requested by your mentor"


def test_a_mentor_override_belongs_to_the_run_it_was_given_on(store):
    submitted = run(store, MOST, 0)
    store.add_feedback(submitted, "mia", "Changes first.", verdict="changes_requested")
    store.add_feedback(submitted, "mia", "The failing check is our bug.", verdict="approved",
                       score_override=4, reason="grader bug")
    state = store.progress()["hello-api"]
    assert (state.best_score, state.verdict, state.score_override) == (3, "approved", 4)
    run(store, ALL, 10)  # the same score by the grader now, in a newer submission
    state = store.progress()["hello-api"]
    assert (state.best_score, state.verdict, state.score_override) == (4, None, None)
    assert state.earlier_verdict == "approved"


def test_of_equal_runs_a_submission_beats_a_check_and_then_the_latest_wins(store):
    approved = run(store, ALL, 0)
    store.add_feedback(approved, "mia", "Good.", verdict="approved")
    run(store, ALL, 5, "check")  # checking again does not hide the approval
    assert store.progress()["hello-api"].verdict == "approved"
    again = run(store, ALL, 10)  # a new submission is the one mentors have to look at
    state = store.progress()["hello-api"]
    assert (state.best_run_id, state.verdict, state.earlier_verdict) == (again, None, "approved")
    assert store.best_runs()["hello-api"].id == again  # certificates follow the same rule


def test_a_submission_made_before_joining_a_hub_is_not_sent_until_queued(store):
    before = run(store, ALL, 0, unsent=True)
    run(store, FEW, 1, "check")
    state = store.progress()["hello-api"]
    assert review_state(state) == "not_sent"
    assert standing_text(state) == ("passed, submitted before you joined a hub and not sent: "
                                    "apilab sync sends it")
    assert [r.id for r in store.unsent_submissions()] == [before]
    assert store.outbox_count() == 0
    assert store.queue_unsent() == 1
    assert [item.run_id for item in store.outbox()] == [before]
    assert store.unsent_submissions() == [] and store.queue_unsent() == 0
    assert review_state(store.progress()["hello-api"]) == "not_reviewed"


def test_a_check_run_alone_says_nothing_of_reviews(store):
    run(store, MOST, 0, "check")
    state = store.progress()["hello-api"]
    assert review_state(state) is None and standing_text(state) == "failing"
    assert standing_text(None) == "not started"


def test_a_run_that_graded_nothing_is_never_the_standing(store):
    nothing = make_report(passed=()).model_copy(update={
        "status": "error", "score": 0, "message": "nothing is listening on 127.0.0.1:8001"})
    store.record_run(nothing, "check")
    assert store.progress()["hello-api"].status == "not_started"  # not "0/3 failing"
    run(store, FEW, 10, kind="check")
    store.record_run(nothing.model_copy(update={"started_at": FIXED_TIME + timedelta(minutes=20)}),
                     "check")
    state = store.progress()["hello-api"]
    assert (state.status, state.best_score, state.max_score) == ("failing", 1, 4)
