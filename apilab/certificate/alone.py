"""A certificate for a course taken alone: from the learner's own record of grader runs, every
exercise of the course passed. No hub vouches for it, so it carries no signature and says so:
a key on the learner's machine would prove nothing about how the runs were made."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from apilab.catalog.models import Course
from apilab.certificate.content import SELF, Result, certificate, unfinished
from apilab.certificate.flags import certificate_flags
from apilab.store import RunSummary


def passed_results(best_runs: dict[str, RunSummary]) -> dict[str, Result]:
    """The exercises whose best run passed every check, as certificate results."""
    return {slug: Result(run_id=run.id, score=run.score, max_score=run.max_score, verdict=None,
                         completed_at=run.started_at.astimezone(UTC).isoformat())
            for slug, run in best_runs.items() if run.status == "pass"}


def missing_alone(course: Course, best_runs: dict[str, RunSummary]) -> list[str]:
    """The course's exercises not passed yet, in course order."""
    return unfinished(course, passed_results(best_runs))


def certificate_alone(course: Course, learner: str, best_runs: dict[str, RunSummary],
                      captures: Iterable[Mapping[str, str]] = (),
                      now: datetime | None = None) -> dict[str, Any]:
    """The unsigned document (`{"certificate": ..., "signature": null}`), with the flags of
    `captures` (the store's `flag_captures()`). ValueError if an exercise is not passed yet
    (see `missing_alone`)."""
    issued_at = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
    content = certificate(course, learner, SELF, passed_results(best_runs), issued_at,
                          certificate_flags(course, captures))
    return {"certificate": content, "signature": None}
