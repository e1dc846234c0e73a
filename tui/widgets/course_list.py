"""The course map's list: each lesson with a progress bar, then its exercises and their status."""

from __future__ import annotations

from collections.abc import Collection

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Label, ListItem, ListView, ProgressBar

from apilab.catalog.models import Course, Exercise, Lesson
from apilab.store import ExerciseProgress
from apilab.untrusted import safe_text
from apilab.views.progress import (
    MARKS,
    STATUS_WORDS,
    lab_flags,
    next_exercise,
    review_state,
    score_label,
)

# Where the best run stands with the mentors, when it is a submission, says more than the
# grader's status (the mark and the score still say that); short, to fit the column.
REVIEW_LABELS = {"approved": "approved ✓", "changes_requested": "changes requested",
                 "not_reviewed": "in review", "not_sent": "not sent"}


class LessonItem(ListItem):
    def __init__(self, lesson: Lesson, passed: int, total: int,
                 flags: tuple[int, int] | None = None) -> None:
        super().__init__(classes="lesson")
        self.lesson = lesson
        self.passed, self.total = passed, total
        self.flags = flags  # (captured, challenges) for a lesson with a lab

    def compose(self) -> ComposeResult:
        # The title, then its numbers: side by side when wide, one under the other when narrow
        # (tui/apilab.tcss); the numbers end at the right edge, so their columns line up.
        with Horizontal():
            yield Label(safe_text(f"{self.lesson.number}. {self.lesson.title}"),
                        classes="lesson-title")
            with Horizontal(classes="lesson-meta"):
                if self.flags is not None:
                    yield Label(safe_text(f"⚑ {self.flags[0]}/{self.flags[1]} flags"),
                                classes="lesson-flags")
                bar = ProgressBar(total=max(self.total, 1), show_eta=False,
                                  classes="lesson-progress")
                bar.progress = self.passed
                yield bar
                yield Label(safe_text(f"{self.passed}/{self.total} passed"),
                            classes="lesson-count")


class ExerciseItem(ListItem):
    def __init__(self, exercise: Exercise, progress: ExerciseProgress, is_next: bool,
                 task_changed: bool = False) -> None:
        classes = f"exercise -{progress.status}" + (" -next" if is_next else "")
        super().__init__(classes=classes)
        self.exercise = exercise
        self.progress = progress
        self.is_next = is_next
        self.task_changed = task_changed  # since the learner started it (apilab.contracts)

    @property
    def status(self) -> str:
        return self.progress.status

    def compose(self) -> ComposeResult:
        exercise, state = self.exercise, self.progress
        score = score_label(exercise, state)
        label = REVIEW_LABELS.get(review_state(state) or "", STATUS_WORDS[state.status])
        with Horizontal():
            yield Label(safe_text(f"{MARKS[state.status]} {exercise.number}. {exercise.title}"),
                        classes="exercise-title")
            with Horizontal(classes="exercise-meta"):
                if self.task_changed:
                    yield Label("⚠ task changed", classes="exercise-changed")
                yield Label(score, classes="exercise-score")
                yield Label(label, classes="exercise-status")
                yield Label("◀ next" if self.is_next else "", classes="exercise-next")


def course_items(course: Course, progress: dict[str, ExerciseProgress],
                 changed: Collection[str] = (), captured: Collection[str] = (),
                 ) -> list[LessonItem | ExerciseItem]:
    """The rows of the course map, in course order; `changed` names the exercises whose task
    changed since the learner started them; `captured`, the lab challenges whose flags the
    learner has captured."""
    upcoming = next_exercise(course, progress)
    items: list[LessonItem | ExerciseItem] = []
    for lesson in course.lessons:
        exercises = course.exercises_of(lesson)
        states = [progress.get(e.slug, ExerciseProgress.not_started(e.max_score))
                  for e in exercises]
        flags = lab_flags(lesson, captured)
        items.append(LessonItem(lesson, sum(s.status == "passed" for s in states), len(exercises), flags))
        for exercise, state in zip(exercises, states, strict=True):
            is_next = upcoming is not None and exercise.slug == upcoming.slug
            items.append(ExerciseItem(exercise, state, is_next, exercise.slug in changed))
    return items


class CourseList(ListView):
    """The list of lessons and exercises; Enter (or a click) opens the highlighted row."""

    BINDINGS = [Binding("enter", "select_cursor", "Open")]
