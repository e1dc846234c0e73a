"""Captured security flags as a certificate lists them: each under the lesson whose notebook
runs the security lab, in the order they were captured. The hub passes its record of the
learner's captures; a course taken alone, the learner's own store.

    flags = certificate_flags(course, [{"challenge": "bola", "category": "API1",
                                        "captured_at": "2026-11-30T10:00:00+00:00"}])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from apilab.catalog.models import Course
from hub.protocol import CAPTURE_LAB, CapturedFlag


def certificate_flags(course: Course, captures: Iterable[Mapping[str, str]]) -> list[CapturedFlag]:
    """One flag per capture (`challenge`, `category`, `captured_at`), oldest first, named by
    its OWASP category and challenge id (`API1 bola`)."""
    lesson = next((lesson.title for lesson in course.lessons if CAPTURE_LAB in lesson.labs),
                  f"{CAPTURE_LAB} lab")  # a course without the lab's lesson: the lab itself
    return [CapturedFlag(lesson=lesson, name=f"{capture['category']} {capture['challenge']}",
                         captured_at=capture["captured_at"])
            for capture in sorted(captures, key=lambda c: (c["captured_at"], c["challenge"]))]
