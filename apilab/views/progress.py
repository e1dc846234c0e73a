"""The course and the learner's progress as plain text, for `apilab lessons`."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from apilab.contracts import TaskChange
from apilab.flags import LAB, captured_lines, summary
from apilab.store.records import ExerciseProgress
from apilab.store.standing import APPROVED, CHANGES_REQUESTED, is_done
from apilab.untrusted import clean
from sandbox_api.lab_flags import CHALLENGES

if TYPE_CHECKING:  # annotations only: the app's first screen needs no pydantic
    from apilab.catalog.models import Course, Exercise, Lesson

MARKS = {"passed": "✓", "failing": "✗", "not_started": "·"}
STATUS_WORDS = {"passed": "passed", "failing": "failing", "not_started": "not started"}
VERDICT_WORDS = {APPROVED: "approved", CHANGES_REQUESTED: "changes requested"}


def next_exercise(course: Course, progress: Mapping[str, ExerciseProgress]) -> Exercise | None:
    """The first exercise, in course order, not done yet (not passed, or passed with changes
    asked for by the mentor); None when all are done."""
    for exercise in course.ordered_exercises():
        if not is_done(progress.get(exercise.slug)):
            return exercise
    return None


def review_state(state: ExerciseProgress | None) -> str | None:
    """Where the best run stands with the mentors: its verdict (`approved`,
    `changes_requested`, or a newer one as it came), `not_reviewed`, or `not_sent` for a
    submission made before joining a hub; None for an unreviewed check run, or none."""
    if state is None:
        return None
    if state.verdict:
        return state.verdict
    if state.best_kind != "submit":
        return None
    return "not_reviewed" if state.best_sent else "not_sent"


def verdict_words(verdict: str) -> str:
    """A verdict in words; one this version does not know, cleaned, as it came."""
    return VERDICT_WORDS.get(verdict) or clean(verdict.replace("_", " "))


def standing_text(state: ExerciseProgress | None) -> str:
    """The standing in a phrase: `passed, submitted, not yet reviewed (an earlier attempt was
    approved)`."""
    status = state.status if state else "not_started"
    text = STATUS_WORDS[status]
    review = review_state(state)
    if review == "not_reviewed":
        text += ", submitted, not yet reviewed"
    elif review == "not_sent":
        text += ", submitted before you joined a hub and not sent: apilab sync sends it"
    elif review is not None:
        text += f", {verdict_words(review)} by your mentor"
    if state and state.earlier_verdict:
        text += f" (an earlier attempt was {verdict_words(state.earlier_verdict)})"
    return text


def score_label(exercise: Exercise, state: ExerciseProgress | None) -> str:
    """`best/max` of the best run (a mentor's score marked `*`), or `-/points` before any run."""
    if state is None or not state.runs:
        return f"-/{exercise.visible_points}"
    if state.score_override is not None:  # mentors score submissions: every check counts
        return f"{state.score_override}*/{exercise.max_score}"
    return f"{state.best_score}/{state.max_score}"


def lab_flags(lesson: Lesson, captured: Collection[str]) -> tuple[int, int] | None:
    """(captured, challenges) of the security lab, for a lesson whose notebook runs it."""
    if LAB not in lesson.labs:
        return None
    return sum(1 for c in CHALLENGES if c.id in captured), len(CHALLENGES)


def task_change_note(change: TaskChange) -> str:
    """`changed since you started it on 2025-11-02 (README.md, openapi.yaml)`."""
    when = f" on {change.started_at.astimezone():%Y-%m-%d}" if change.started_at else ""
    return f"changed since you started it{when} ({', '.join(change.files)})"


def course_as_text(course: Course, progress: Mapping[str, ExerciseProgress],
                   notebooks: Mapping[str, bool] | None = None,
                   changes: Mapping[str, TaskChange] | None = None, started: Collection[str] = (),
                   captured: Mapping[str, Any] | None = None) -> str:
    """One block per lesson, one line per exercise, and the next step at the end.

    `notebooks` maps a lesson's slug to whether its last notebook check passed every self-check;
    `changes`, an exercise's slug to how its task changed since the learner started it; `started`
    holds the exercises whose folder is in the learner's workspace already; `captured` maps the
    lab challenges whose flags were captured to when."""
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
            lines.append(f"   {MARKS[status]} {exercise.number}. {exercise.title:<40} {score:>9}  "
                         f"{standing_text(state)}")
            if change := (changes or {}).get(exercise.slug):
                lines.append(f"        ⚠ its task {task_change_note(change)}:")
                lines.append(f"          apilab start {exercise.slug} shows what changed; to take the new "
                             f"task as yours: apilab start {exercise.slug} --accept-task")
        lines.append("")
    if next_step is None:
        lines.append("Every exercise passed. Well done!")
    elif (state := progress.get(next_step.slug)) and state.status == "passed":
        lines.append(f"Next: your mentor asked for changes to {next_step.number}. "
                     f"{next_step.title}: read them in the app (apilab), then apilab submit "
                     f"{next_step.slug}")
    else:
        first = "serve" if next_step.slug in started else "start"
        lines.append(f"Next: apilab {first} {next_step.slug}, then apilab check {next_step.slug}")
    return "\n".join(lines)
