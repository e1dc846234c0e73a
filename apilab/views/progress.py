"""The course and the learner's progress as plain text, for `apilab lessons`."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from apilab.catalog.models import Course, Exercise, Lesson
from apilab.flags import LAB, captured_lines, summary
from apilab.untrusted import clean
from sandbox_api.lab_flags import CHALLENGES

MARKS = {"passed": "✓", "failing": "✗", "not_started": "·"}


def next_exercise(course: Course, progress: Mapping[str, Any]) -> Exercise | None:
    """The first exercise, in course order, not passed yet; None when all are passed."""
    for exercise in course.ordered_exercises():
        state = progress.get(exercise.slug)
        if state is None or state.status != "passed":
            return exercise
    return None


def score_label(exercise: Exercise, state: Any | None) -> str:
    """`best/max` of the best run (a mentor's score marked `*`), or `-/points` before any run."""
    if state is None or not state.runs:
        return f"-/{sum(check.points for check in exercise.visible_checks(include_hidden=False))}"
    if state.score_override is not None:  # mentors score submissions: every check counts
        return f"{state.score_override}*/{exercise.max_score}"
    return f"{state.best_score}/{state.max_score}"


def lab_flags(lesson: Lesson, captured: Collection[str]) -> tuple[int, int] | None:
    """(captured, challenges) of the security lab, for a lesson whose notebook runs it."""
    if LAB not in lesson.labs:
        return None
    return sum(1 for c in CHALLENGES if c.id in captured), len(CHALLENGES)


def course_as_text(course: Course, progress: Mapping[str, Any],
                   notebooks: Mapping[str, bool] | None = None,
                   captured: Mapping[str, Any] | None = None) -> str:
    """One block per lesson, one line per exercise, and the next step at the end.

    `notebooks` maps a lesson's slug to whether its last notebook check passed every self-check;
    `captured`, the lab challenges whose flags were captured, to when."""
    lines = [course.title, ""]
    next_step = next_exercise(course, progress)
    for lesson in course.lessons:
        lines.append(f"{lesson.number}. {lesson.title}")
        if lesson.notebook:
            checked = (notebooks or {}).get(lesson.slug)
            state = {True: "  (done: every self-check passed)",
                     False: "  (last check: not finished yet)", None: ""}[checked]
            lines.append(f"     notebook: apilab notebook {lesson.number}{state}")
        if lab_flags(lesson, captured or {}) is not None:
            lines.append(f"     {summary(captured or {})}; record one: apilab flag CHALLENGE FLAG")
            lines.extend(captured_lines(captured or {}))
        for exercise in course.exercises_of(lesson):
            state = progress.get(exercise.slug)
            status = state.status if state else "not_started"
            score = score_label(exercise, state)
            label = status.replace("_", " ")
            if state and state.verdict:
                label += f", {clean(state.verdict.replace('_', ' '))} by your mentor"
            lines.append(f"   {MARKS[status]} {exercise.number}. {exercise.title:<40} {score:>9}  {label}")
        lines.append("")
    if next_step is None:
        lines.append("Every exercise passed. Well done!")
    else:
        lines.append(f"Next: apilab start {next_step.slug}, then apilab check {next_step.slug}")
    return "\n".join(lines)
