"""Submissions: a learner's grader runs, stored once each under an id the learner's app chose.

    PUT /v1/submissions/{id}    learners: store a run (201), or confirm a resend (200)
    GET /v1/submissions         the caller's (learner) or everyone's (mentor), newest first;
                                `view=latest`: each learner's latest of each exercise
    GET /v1/submissions/{id}    one, with its full report; ETag and If-None-Match
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from httpkit.conditional import none_match
from httpkit.cursors import decode_cursor, encode_cursor, link_next
from httpkit.problems import ProblemException
from hub.access import visible_submission
from hub.auth import CurrentUser, LearnerUser
from hub.deps import PageLimit, SettingsDep, StoreDep
from hub.intake import read_submission
from hub.protocol import QueueView, SubmissionPage, SubmissionSummary
from hub.records import PutOutcome, Quota, Submission, SubmissionFilter
from hub.routers import problems

router = APIRouter(prefix="/submissions", tags=["submissions"])

SubmissionId = Annotated[UUID, Path(description="A UUID the learner's app generates once per "
                                                "run and reuses on every resend.")]
# Private: only the learner and mentors may see it, and it must be revalidated before reuse.
CACHING = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}


# The body is read by the route, after the token was checked (a body parameter would make
# FastAPI read and parse it first), so an anonymous upload costs the hub nothing.
SUBMISSION_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/SubmissionIn"}}},
    "description": "`{\"kind\": ..., \"report\": ...}`. Send it gzip-compressed with "
                   "`Content-Encoding: gzip` to save most of the upload."}}


@router.put("/{submission_id}", status_code=201, response_model=SubmissionSummary,
            openapi_extra=SUBMISSION_BODY,
            responses={200: {"description": "A resend of the same submission: nothing changed."},
                       **problems(400, 403, 404, 409, 413, 415, 422)})
async def put_submission(submission_id: SubmissionId, learner: LearnerUser, store: StoreDep,
                         settings: SettingsDep, request: Request,
                         response: Response) -> SubmissionSummary:
    """Store a grader run under an id the client chose, so that resending never duplicates it.

    The first PUT answers 201 with Location and ETag; an identical resend answers 200 with the
    same ETag. The same id with a different report is a 409: a new run needs a new id. An id
    that belongs to another learner answers 404, as if it did not exist. The report is kept
    exactly as sent. Each learner has a storage quota (413 when full) and an hourly upload
    budget (429 with Retry-After).
    """
    sid = str(submission_id)
    raw = await request.body()
    incoming = await run_in_threadpool(
        read_submission, raw, request.headers.get("content-type", ""),
        request.headers.get("content-encoding", ""), settings)
    quota = Quota(settings.quota_bytes, settings.quota_hour_bytes)
    outcome, submission = await run_in_threadpool(
        store.put_submission, learner, sid, incoming.kind, incoming.report, incoming.report_json,
        quota)
    if outcome is PutOutcome.NOT_YOURS:
        raise ProblemException(404, f"there is no submission {sid} that you can see, and the id "
                               "cannot be used for a new one: generate a fresh UUID")
    if outcome is PutOutcome.OVER_QUOTA:
        raise ProblemException(413, f"your reports on this hub reached your storage quota of "
                               f"{settings.quota_bytes // 1_000_000} MB; ask your mentor to make "
                               "room", "quota-exceeded")
    if outcome is PutOutcome.OVER_RATE:
        size = len(incoming.report_json.encode())
        wait = await run_in_threadpool(store.retry_upload_after, learner, size,
                                       settings.quota_hour_bytes)
        raise ProblemException(429, f"you sent more than {settings.quota_hour_bytes // 1_000_000} "
                               f"MB of reports in the last hour; retry in {wait} s",
                               "upload-rate-limited", headers={"Retry-After": str(wait)})
    assert submission is not None
    if outcome is PutOutcome.CONFLICT:
        raise ProblemException(409, f"submission {sid} already holds a different report; a "
                               "resend must be identical, and a new run needs a new id",
                               "conflict")
    response.status_code = 201 if outcome is PutOutcome.CREATED else 200
    response.headers["ETag"] = submission.etag
    if outcome is PutOutcome.CREATED:
        response.headers["Location"] = f"/v1/submissions/{sid}"
    return submission.summary()


@router.get("", response_model=SubmissionPage, responses=problems(400, 403, 422))
def list_submissions(
    user: CurrentUser, store: StoreDep, request: Request, response: Response, limit: PageLimit,
    exercise: Annotated[str | None, Query(description="An exercise slug.")] = None,
    learner: Annotated[str | None, Query(description="A learner's name. Learners may give only "
                                                     "their own (403 otherwise).")] = None,
    status: Annotated[Literal["pass", "fail", "error"] | None,
                      Query(description="The report's status.")] = None,
    review: Annotated[Literal["awaiting", "approved", "changes_requested"] | None,
                      Query(description="`awaiting`: no verdict yet (the mentor's queue).")] = None,
    kind: Annotated[Literal["check", "submit"] | None, Query()] = None,
    view: Annotated[QueueView, Query(description="`latest`: only each learner's latest "
                                                 "submission of each exercise (of `kind`), "
                                                 "which is what a mentor reviews.")] = "all",
    cursor: Annotated[str | None,
                      Query(description="From next_cursor of the previous page.")] = None,
) -> SubmissionPage:
    """Submissions, newest first, one page at a time (`Link: <...>; rel="next"`).

    Mentors see the whole cohort; learners see only their own, and asking for another
    learner's (`learner=someone-else`) is refused with 403 rather than silently narrowed.
    With `view=latest`, the filters on status and review apply to each learner's latest
    submission of each exercise: an older one that nobody reviewed is not in the queue.
    """
    if user.role == "learner":
        if learner not in (None, user.name):
            raise ProblemException(403, "learners can list only their own submissions; leave "
                                   "out `learner` or give your own name")
        learner = user.name
    filters = SubmissionFilter(exercise=exercise, learner=learner, status=status, review=review,
                               kind=kind, latest=view == "latest")
    before = decode_cursor(cursor, "submissions", {"before": int})["before"] if cursor else None
    rows = store.submissions(filters, before, limit + 1)
    page = rows[:limit]
    next_cursor = encode_cursor("submissions", {"before": page[-1].seq}) if len(rows) > limit else None
    if next_cursor:
        link_next(request, response, cursor=next_cursor)
    return SubmissionPage(items=[s.summary() for s in page], next_cursor=next_cursor)


class SubmissionWithReport(SubmissionSummary):
    """What GET answers: the summary and `report`, the bytes the learner's app sent."""

    report: dict[str, Any] = Field(description="The grader's report, exactly as sent.")


@router.get("/{submission_id}", response_model=SubmissionWithReport,
            responses={304: {"description": "Not modified: If-None-Match named the current ETag."},
                       **problems(404, 422)})
def get_submission(
    submission_id: SubmissionId, user: CurrentUser, store: StoreDep,
    if_none_match: Annotated[str | None, Header(description="An ETag from an earlier GET.")] = None,
) -> Response:
    """One submission with its full report and review state. Learners may read only their own
    (404 for anyone else's). Send the ETag back in If-None-Match to get a 304 when unchanged."""
    submission = visible_submission(store, user, str(submission_id), with_report=True)
    headers = {"ETag": submission.etag, **CACHING}
    if none_match(if_none_match, submission.etag):
        return Response(status_code=304, headers=headers)
    return Response(detail_json(submission), media_type="application/json", headers=headers)


def detail_json(submission: Submission) -> str:
    """The summary and the stored report, joined without parsing the report again."""
    summary = submission.summary().model_dump_json()
    return f'{summary[:-1]},{json.dumps("report")}:{submission.report_json}}}'
