"""What a certificate says, derived from the course: every lesson of `lessons/course.toml`,
every exercise of each, and the learner's result on it. A course grows and the certificate
grows with it; nothing here names a lesson.

    results = {"reading-list": Result(run_id, 10, 10, "approved", "2026-11-30T10:00:00+00:00")}
    missing = unfinished(course, results)        # [] when every exercise counts
    document = certificate(course, "ada", hub_issuer("https://hub.example", kid), results)

Every exercise of the course is required. Captured security flags are passed in by whoever
holds them (`flags`); the certificate lists them per lesson.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from apilab.catalog.models import Course
from hub.protocol import (
    CapturedFlag,
    Certificate,
    CertificateExercise,
    CertificateIssuer,
    CertificateLesson,
)

SCHEMA = 1


@dataclass(frozen=True)
class Result:
    """A learner's result on one exercise, as it counts for a certificate."""

    run_id: str
    score: int
    max_score: int
    verdict: str | None  # the mentor's; None for a course taken alone
    completed_at: str  # ISO 8601


def unfinished(course: Course, results: Mapping[str, Result]) -> list[str]:
    """The slugs of the course's exercises, in course order, that have no result."""
    return [exercise.slug for lesson in course.lessons for exercise in course.exercises_of(lesson)
            if exercise.slug not in results]


def hub_issuer(name: str, key_id: str) -> CertificateIssuer:
    return CertificateIssuer(kind="hub", name=name, key_id=key_id)


SELF = CertificateIssuer(kind="self", name="self", key_id=None)


def certificate(course: Course, learner: str, issuer: CertificateIssuer,
                results: Mapping[str, Result], issued_at: str,
                flags: Iterable[CapturedFlag] = (), certificate_id: str | None = None,
                ) -> dict[str, Any]:
    """The certificate's content, as the plain JSON value that is signed. ValueError if an
    exercise of the course has no result (check `unfinished` first)."""
    missing = unfinished(course, results)
    if missing:
        raise ValueError(f"no result yet for {', '.join(missing)}")
    lessons = [CertificateLesson(slug=lesson.slug, title=lesson.title, exercises=[
        _exercise(exercise.slug, exercise.title, results[exercise.slug])
        for exercise in course.exercises_of(lesson)]) for lesson in course.lessons]
    model = Certificate(schema=SCHEMA, id=certificate_id or str(uuid.uuid4()), course=course.title,
                        learner=learner, issuer=issuer, issued_at=issued_at, lessons=lessons,
                        flags=list(flags))
    return model.model_dump(mode="json", by_alias=True)


def _exercise(slug: str, title: str, result: Result) -> CertificateExercise:
    return CertificateExercise(slug=slug, title=title, score=result.score,
                               max_score=result.max_score, verdict=result.verdict,
                               completed_at=result.completed_at, run_id=result.run_id)
