"""The course and the learner's progress as plain text, for `apilab lessons`."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from apilab.catalog.models import Course, Exercise
from apilab.contracts import TaskChange
from apilab.untrusted import clean

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


def task_change_note(change: TaskChange) -> str:
    """`changed since you started it on 2025-11-02 (README.md, openapi.yaml)`."""
    when = f" on {change.started_at.astimezone():%Y-%m-%d}" if change.started_at else ""
    return f"changed since you started it{when} ({', '.join(change.files)})"


def course_as_text(course: Course, progress: Mapping[str, Any],
                   notebooks: Mapping[str, bool] | None = None,
                   changes: Mapping[str, TaskChange] | None = None, started: Collection[str] = ()) -> str:
    """One block per lesson, one line per exercise, and the next step at the end.

    `notebooks` maps a lesson's slug to whether its last notebook check passed every self-check;
    `changes`, an exercise's slug to how its task changed since the learner started it; `started`
    holds the exercises whose folder is in the learner's workspace already."""
    lines = [course.title, ""]
    next_step = next_exercise(course, progress)
    for lesson in course.lessons:
        lines.append(f"{lesson.number}. {lesson.title}")
        if lesson.notebook:
            checked = (notebooks or {}).get(lesson.slug)
            state = {True: "  (done: every self-check passed)",
                     False: "  (last check: not finished yet)", None: ""}[checked]
            lines.append(f"     notebook: apilab notebook {lesson.number}{state}")
        for exercise in course.exercises_of(lesson):
            state = progress.get(exercise.slug)
            status = state.status if state else "not_started"
            score = score_label(exercise, state)
            label = status.replace("_", " ")
            if state and state.verdict:
                label += f", {clean(state.verdict.replace('_', ' '))} by your mentor"
            lines.append(f"   {MARKS[status]} {exercise.number}. {exercise.title:<40} {score:>9}  {label}")
            if change := (changes or {}).get(exercise.slug):
                lines.append(f"        ⚠ its task {task_change_note(change)}:")
                lines.append(f"          apilab start {exercise.slug} shows what changed; to take the new "
                             f"task as yours: apilab start {exercise.slug} --accept-task")
        lines.append("")
    if next_step is None:
        lines.append("Every exercise passed. Well done!")
    else:
        first = "serve" if next_step.slug in started else "start"
        lines.append(f"Next: apilab {first} {next_step.slug}, then apilab check {next_step.slug}")
    return "\n".join(lines)
