"""Feedback: mentors' Markdown notes on a submission or one of its checks, and the stream that
carries notes and reviews back to learners' apps.

    POST /v1/submissions/{id}/feedback   mentors: a note (201 + Location)
    GET  /v1/submissions/{id}/feedback   the notes and reviews on one submission
    GET  /v1/feedback?after=N            everything written after sequence number N (sync)
    GET  /v1/feedback/{feedback_id}      one item
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BeforeValidator

from grader.report import read_report
from httpkit.cursors import link_next
from httpkit.problems import ProblemException
from hub.access import visible_feedback, visible_submission
from hub.auth import CurrentUser, MentorUser
from hub.deps import PageLimit, StoreDep
from hub.protocol import MAX_INT, Feedback, FeedbackIn, FeedbackPage
from hub.records import Submission
from hub.routers import problems

router = APIRouter(tags=["feedback"])

SubmissionId = Annotated[UUID, Path(description="The submission's id.")]


@router.post("/submissions/{submission_id}/feedback", status_code=201, response_model=Feedback,
             responses=problems(403, 404, 422))
def add_feedback(submission_id: SubmissionId, body: FeedbackIn, mentor: MentorUser,
                 store: StoreDep, response: Response) -> Feedback:
    """Write a Markdown note on a submission, or on one of its checks with `check_id` (which
    must be a check of that submission's report). Mentors only."""
    submission = visible_submission(store, mentor, str(submission_id), with_report=True)
    if body.check_id is not None:
        _check_exists(submission, body.check_id)
    item = store.add_feedback(submission, mentor, body.body, body.check_id)
    response.headers["Location"] = f"/v1/feedback/{item.id}"
    return item.public()


def _check_exists(submission: Submission, check_id: str) -> None:
    assert submission.report_json is not None
    ids = [check.id for check in read_report(submission.report_json).checks]
    if check_id not in ids:
        raise ProblemException(
            422, f"check_id {check_id!r} is not a check of this submission's report; it has: "
            f"{', '.join(ids) or 'no checks'}",
            errors=[{"location": "body", "field": "check_id", "message": "not a check of this "
                     "submission", "type": "value_error"}])


@router.get("/submissions/{submission_id}/feedback", response_model=FeedbackPage,
            responses=problems(404, 422))
def feedback_on_submission(submission_id: SubmissionId, user: CurrentUser,
                           store: StoreDep) -> FeedbackPage:
    """Every note and review on one submission, oldest first, in a single page (a submission
    gathers a handful). Its learner and mentors may read it."""
    submission = visible_submission(store, user, str(submission_id))
    items = store.feedback_on(submission.id)
    return FeedbackPage(items=[item.public() for item in items], next_cursor=None)


def _rfc3339(value: object) -> object:
    # a date-time as the document says, not a number of seconds that pydantic would also read
    if isinstance(value, str) and not re.match(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", value):
        raise ValueError("must be an RFC 3339 date-time, e.g. 2025-03-14T09:26:53Z")
    return value


@router.get("/feedback", response_model=FeedbackPage, responses=problems(422))
def feedback_stream(
    user: CurrentUser, store: StoreDep, request: Request, response: Response, limit: PageLimit,
    after: Annotated[int, Query(ge=0, le=MAX_INT, description="The highest `seq` you already "
                                                              "have; 0 for everything.")] = 0,
    since: Annotated[datetime | None, BeforeValidator(_rfc3339),
                     Query(description="Only items written at or after this time (RFC 3339, "
                                       "with its time zone).")] = None,
) -> FeedbackPage:
    """Feedback in the order it was written, for syncing: a learner gets the notes and reviews
    on their own submissions, a mentor gets everything. Remember the highest `seq` you saw and
    ask for `after=<it>` next time; `next_cursor` (and Link rel="next") is set while more
    remain."""
    since = _in_utc(since) if since is not None else None
    learner_id = None if user.role == "mentor" else user.id
    items = store.feedback_stream(learner_id, after, since, limit + 1)
    page = items[:limit]
    next_cursor = str(page[-1].seq) if len(items) > limit else None
    if next_cursor:
        link_next(request, response, after=next_cursor)
    return FeedbackPage(items=[item.public() for item in page], next_cursor=next_cursor)


@router.get("/feedback/{feedback_id}", response_model=Feedback, responses=problems(404, 422))
def feedback_item(feedback_id: Annotated[UUID, Path()], user: CurrentUser,
                  store: StoreDep) -> Feedback:
    """One note or review: its learner and mentors may read it."""
    return visible_feedback(store, user, str(feedback_id)).public()


def _in_utc(since: datetime) -> datetime:
    """`since` in UTC, or a 422 when it has no time zone or names no representable instant
    (0001-01-01T00:00:00+01:00 is in the year 0)."""
    if since.tzinfo is None:
        problem = "needs a time zone, e.g. 2025-03-14T09:26:53Z"
    else:
        try:
            return since.astimezone(UTC)
        except OverflowError:
            problem = "is out of range: give a time between the years 1 and 9999 in UTC"
    raise ProblemException(422, f"since {problem}", errors=[
        {"location": "query", "field": "since", "message": problem, "type": "value_error"}])
