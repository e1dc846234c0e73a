"""Reviews: a mentor's verdict on a submission, with an optional score override.

    PUT /v1/submissions/{id}/review   mentors: approve or request changes (201 first, then 200)
    GET /v1/submissions/{id}/review   the current review state

A change of review also appears in the learner's feedback stream as an item of kind `review`,
so the learner's app hears about it the same way it hears about notes.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Path, Response

from httpkit.conditional import match
from httpkit.problems import ProblemException
from hub.access import visible_submission
from hub.auth import CurrentUser, MentorUser
from hub.deps import StoreDep
from hub.protocol import ReviewIn, ReviewStatus, SubmissionSummary
from hub.records import ReviewOutcome
from hub.routers import problems

router = APIRouter(prefix="/submissions/{submission_id}/review", tags=["reviews"])

SubmissionId = Annotated[UUID, Path(description="The submission's id.")]


@router.put("", response_model=SubmissionSummary, status_code=200,
            responses={201: {"description": "The submission's first review."},
                       **problems(403, 404, 412, 422)})
def put_review(
    submission_id: SubmissionId, body: ReviewIn, mentor: MentorUser, store: StoreDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="The submission's ETag as you read it: "
                                           "412 if another mentor changed it since.")] = None,
) -> SubmissionSummary:
    """Approve a submission or request changes. A `score_override` (0 to the report's
    max_score) needs a `reason`. Sending the current review again changes nothing."""
    sid = str(submission_id)
    submission = visible_submission(store, mentor, sid)
    reason = body.reason.strip() if body.reason and body.reason.strip() else None
    if body.score_override is not None and reason is None:
        raise ProblemException(
            422, "a score_override needs a reason, which the learner will read",
            errors=[{"location": "body", "field": "reason", "message": "required with "
                     "score_override", "type": "missing"}])
    if body.score_override is not None and body.score_override > submission.max_score:
        raise ProblemException(
            422, f"score_override {body.score_override} is above this submission's max_score "
            f"{submission.max_score}", errors=[{"location": "body", "field": "score_override",
                                               "message": f"at most {submission.max_score}",
                                               "type": "less_than_equal"}])
    outcome, updated = store.set_review(
        sid, mentor, body.verdict, body.score_override, reason, body.body,
        precondition=lambda current: match(if_match, current.etag))
    if outcome is ReviewOutcome.NOT_FOUND:  # gone between the two reads: cannot happen today
        raise ProblemException(404, f"there is no submission {sid} that you can see")
    assert updated is not None
    if outcome is ReviewOutcome.PRECONDITION_FAILED:
        raise ProblemException(412, f"submission {sid} changed since you read it (its ETag is "
                               f"now {updated.etag}); read it again and retry",
                               headers={"ETag": updated.etag})
    response.status_code = 201 if outcome is ReviewOutcome.CREATED else 200
    response.headers["ETag"] = updated.etag
    return updated.summary()


@router.get("", response_model=ReviewStatus, responses=problems(404, 422))
def get_review(submission_id: SubmissionId, user: CurrentUser, store: StoreDep) -> ReviewStatus:
    """Where the submission's review stands: `awaiting`, `approved` or `changes_requested`."""
    summary = visible_submission(store, user, str(submission_id)).summary()
    return ReviewStatus(submission_id=summary.id, review_state=summary.review_state,
                        review=summary.review)
