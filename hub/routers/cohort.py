"""Cohort statistics for mentors: how a whole group does on one exercise, and the gradebook.

    GET /v1/cohort/exercises/{exercise}/stats
    GET /v1/cohort/gradebook
    GET /v1/cohort/progress
    GET /v1/cohort/stuck
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from grader.report import read_report
from httpkit.cursors import decode_cursor, encode_cursor, link_next
from httpkit.problems import ProblemException
from hub import gradebook as book
from hub.auth import MentorUser
from hub.cohort_progress import StuckKey, cohort_progress, page_of, stuck_learners
from hub.deps import CourseDep, PageLimit, StoreDep
from hub.protocol import CheckStats, CohortProgress, CohortStats, FailingCheck, StuckPage
from hub.routers import problems

router = APIRouter(prefix="/cohort", tags=["cohort"])
MOST_FAILING = 5
STUCK = "stuck"  # the kind of cursor that pages through stuck learners


@router.get("/exercises/{exercise}/stats", response_model=CohortStats,
            responses=problems(403, 422))
def exercise_stats(
    exercise: Annotated[str, Path(description="The exercise slug.")],
    mentor: MentorUser, store: StoreDep,
    kind: Annotated[Literal["check", "submit"] | None,
                    Query(description="Count only this kind of run (default: both).")] = None,
) -> CohortStats:
    """Each check's pass rate over the cohort, and the checks that fail most.

    Counted over each learner's **latest** submission of the exercise (of `kind`, if given),
    so a learner who tried twenty times weighs as much as one who tried once, and the numbers
    show where the cohort stands now. An exercise nobody submitted yet has zero learners.
    """
    reports = [read_report(text) for text in store.latest_reports(exercise, kind)]
    titles: dict[str, str] = {}
    attempts: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for report in reports:
        for check in report.checks:
            titles.setdefault(check.id, check.title)
            attempts[check.id] += 1
            passed[check.id] += check.passed
    checks = [CheckStats(id=cid, title=titles[cid], attempts=attempts[cid], passed=passed[cid],
                         pass_rate=round(passed[cid] / attempts[cid], 4)) for cid in titles]
    failing = sorted((c for c in checks if c.passed < c.attempts),
                     key=lambda c: (c.passed - c.attempts, c.id))[:MOST_FAILING]
    most_failing = [
        FailingCheck(id=c.id, title=c.title, failures=c.attempts - c.passed,
                     fail_rate=round((c.attempts - c.passed) / c.attempts, 4)) for c in failing]
    return CohortStats(exercise=exercise, kind=kind, learners=len(reports), checks=checks,
                       most_failing=most_failing)


@router.get("/gradebook", responses={
    200: {"description": "One row per learner.",
          "content": {"text/csv": {}, "application/json": {}}}, **problems(403, 404, 422)})
def get_gradebook(
    mentor: MentorUser, store: StoreDep, course: CourseDep, request: Request,
    format: Annotated[Literal["csv", "json"] | None,
                      Query(description="csv or json; default: as the Accept header asks, "
                                        "else csv.")] = None,
    exercise: Annotated[list[str] | None,
                        Query(description="Only these exercises (repeatable).")] = None,
) -> StreamingResponse:
    """The gradebook: one row per learner, and per exercise the best submission's score and
    maximum, the mentor's verdict and override, and its date. Streamed, so a cohort of any
    size comes without waiting for all of it."""
    try:
        slugs = book.columns(course, exercise or ())
    except ValueError as exc:  # 404: a gradebook of an exercise this course does not have
        raise ProblemException(404, str(exc)) from None
    wants_json = format == "json" or (format is None
                                      and "application/json" in request.headers.get("accept", ""))
    if wants_json:
        return StreamingResponse(book.as_json(store, slugs), media_type="application/json")
    return StreamingResponse(book.as_csv(store, slugs), media_type=book.CSV_MEDIA_TYPE,
                             headers={"Content-Disposition": 'attachment; filename="gradebook.csv"'})


@router.get("/progress", response_model=CohortProgress, responses=problems(403, 422))
def get_progress(mentor: MentorUser, store: StoreDep, course: CourseDep,
                 limit: PageLimit) -> CohortProgress:
    """The cohort at a glance: per exercise of the course, in its order, how many learners
    started, passed and were approved; and who is stuck (nothing sent for a week, or the same
    check failing in each of their last three runs), with the check that stops them most.

    Only the first `limit` stuck learners come with it (`stuck_count` says how many there
    are); GET /v1/cohort/stuck with `stuck_next_cursor` pages through the rest."""
    progress, more = cohort_progress(store, course, datetime.fromisoformat(store.now()), limit)
    return progress.model_copy(update={"stuck_next_cursor": _stuck_cursor(more)})


@router.get("/stuck", response_model=StuckPage, responses=problems(400, 403, 422))
def get_stuck(
    mentor: MentorUser, store: StoreDep, request: Request, response: Response, limit: PageLimit,
    cursor: Annotated[str | None,
                      Query(description="From next_cursor of the previous page, or "
                                        "stuck_next_cursor of /v1/cohort/progress.")] = None,
) -> StuckPage:
    """Who is stuck, longest idle first, one page at a time (`Link: <...>; rel="next"`)."""
    after = None
    if cursor:
        position = decode_cursor(cursor, STUCK, {"at": str, "learner": str, "exercise": str})
        after = (position["at"], position["learner"], position["exercise"])
    stuck = stuck_learners(store, datetime.fromisoformat(store.now()))
    page, more = page_of(stuck, after, limit)
    next_cursor = _stuck_cursor(more)
    if next_cursor:
        link_next(request, response, cursor=next_cursor)
    return StuckPage(items=page, next_cursor=next_cursor)


def _stuck_cursor(after: StuckKey | None) -> str | None:
    if after is None:
        return None
    at, learner, exercise = after
    return encode_cursor(STUCK, {"at": at, "learner": learner, "exercise": exercise})
