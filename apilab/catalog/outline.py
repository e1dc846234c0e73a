"""The course in outline: its lessons and exercises as the course map shows them, in plain
dataclasses.

The terminal app's first screen needs no more than this. Kept beside the whole course (see
`apilab.catalog.cache`), it is read back without pydantic and the course's models, a good part
of the app's start; the whole course follows once the first screen is painted. `CourseLookups`
finds lessons and exercises by name in an outline and in a whole course alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apilab.catalog.models import Course


class CourseLookups:
    """Lessons and exercises by name and in order, for a course with `lessons`, `exercises`
    (by slug) and `root`."""

    def lesson(self, name: str) -> Any:
        """The lesson named by slug or number; KeyError with the known names otherwise."""
        for lesson in self.lessons:
            if name in (lesson.slug, str(lesson.number)):
                return lesson
        known = ", ".join(f"{lesson.number} ({lesson.slug})" for lesson in self.lessons)
        raise KeyError(f"no lesson {name!r} in this course; known lessons: {known}")

    def exercise(self, name: str) -> Any:
        """The exercise named by slug or number; KeyError with the known names otherwise."""
        for exercise in self.exercises.values():
            if name in (exercise.slug, str(exercise.number)):
                return exercise
        raise KeyError(unknown_exercise(name, [e.slug for e in self.ordered_exercises()]))

    def ordered_exercises(self) -> list[Any]:
        return sorted(self.exercises.values(), key=lambda e: e.number)

    def exercises_of(self, lesson: Any) -> list[Any]:
        return [self.exercises[slug] for slug in lesson.exercises]

    def reading_path(self, lesson: Any) -> Path:
        return self.root / "lessons" / lesson.reading

    def notebook_path(self, lesson: Any) -> Path | None:
        return self.root / "notebooks" / lesson.notebook if lesson.notebook else None


def unknown_exercise(name: str, slugs: list[str]) -> str:
    """What to say about an exercise name the course does not have: the slug it most looks like
    (reading_list for reading-list), and the known ones, by number and slug."""
    import difflib

    close = difflib.get_close_matches(name.lower().replace("_", "-").replace(" ", "-"), slugs, n=1)
    known = ", ".join(f"{number} ({slug})" for number, slug in enumerate(slugs, 1))
    guess = f"did you mean {close[0]}? " if close else ""
    return f"no exercise {name!r} in this course; {guess}known exercises: {known}"


@dataclass(frozen=True)
class LessonOutline:
    slug: str
    number: int
    title: str
    reading: str
    notebook: str | None
    exercises: tuple[str, ...]
    labs: tuple[str, ...]


@dataclass(frozen=True)
class ExerciseOutline:
    slug: str
    number: int
    title: str
    lesson: str
    root: Path  # where its contract files are (apilab.contracts reads them)
    max_score: int
    visible_points: int  # of the checks a check run (not a submission) grades


@dataclass(frozen=True)
class CourseOutline(CourseLookups):
    title: str
    root: Path
    lessons: tuple[LessonOutline, ...]
    exercises: dict[str, ExerciseOutline]

    @classmethod
    def of(cls, course: Course) -> CourseOutline:
        lessons = tuple(LessonOutline(lesson.slug, lesson.number, lesson.title, lesson.reading,
                                      lesson.notebook, tuple(lesson.exercises), tuple(lesson.labs))
                        for lesson in course.lessons)
        exercises = {slug: ExerciseOutline(exercise.slug, exercise.number, exercise.title,
                                           exercise.lesson, exercise.root, exercise.max_score,
                                           exercise.visible_points)
                     for slug, exercise in course.exercises.items()}
        return cls(course.title, course.root, lessons, exercises)
