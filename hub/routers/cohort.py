"""Cohort statistics for mentors: how a whole group does on one exercise.

    GET /v1/cohort/exercises/{exercise}/stats
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from grader.report import read_report
from hub.auth import MentorUser
from hub.deps import StoreDep
from hub.protocol import CheckStats, CohortStats, FailingCheck
from hub.routers import problems

router = APIRouter(prefix="/cohort", tags=["cohort"])
MOST_FAILING = 5


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
