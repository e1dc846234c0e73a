"""What the commands open, each failure as an error that says what to do: the course, an
exercise, the learner's store and workspace."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from apilab import paths

if TYPE_CHECKING:
    from apilab.catalog.cache import KeptCourse
    from apilab.catalog.models import Course, Exercise
    from apilab.catalog.outline import CourseOutline


# The course's policy: the installed course holds no answers (README, "What the installed course holds").
NO_REFERENCES = ("this course has no reference solutions: an installed apilab leaves them out, "
                 "with the mutants and solution notebooks, so that the answers are not one folder "
                 "away. They are in the course's repository: run this in a clone of it.")


def course() -> Course:
    return kept_course().course()


def kept_course() -> KeptCourse:
    """The course kept between starts: its outline at once, the whole of it when first needed."""
    from apilab.catalog import cache
    from apilab.catalog.loader import CatalogError

    try:
        return cache.kept_course(paths.course_root())
    except CatalogError as exc:
        raise click.ClickException(f"the course files have a problem: {exc}") from None


def exercise_named(name: str) -> Exercise:
    """The exercise named by slug or number: from the course kept between starts (read back in
    milliseconds, where loading one exercise takes a twentieth of a second). When the course as
    a whole does not load, this exercise is loaded alone: a problem elsewhere in the course does
    not stop its grading, and a problem in it is named."""
    from apilab.catalog.cache import cached_course
    from apilab.catalog.loader import CatalogError, load_course_exercise

    root = paths.course_root()
    with contextlib.suppress(CatalogError):
        return exercise_in(cached_course(root), name)
    try:
        return load_course_exercise(root, name)
    except CatalogError as exc:
        raise click.ClickException(f"the course files have a problem: {exc}") from None
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="EXERCISE") from None


def exercise_in(course: Course, name: str) -> Exercise:
    try:
        return course.exercise(name)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="EXERCISE") from None


def store():
    from apilab.store import Store, StoreError

    try:
        return Store.open_default()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def workspace(course: Course | CourseOutline) -> Path:
    """The learner's workspace, or a ClickException saying how to create or find one."""
    from apilab.workspace import NoWorkspaceError, workspace_root

    try:
        return workspace_root(course.root)
    except NoWorkspaceError as exc:
        raise click.ClickException(str(exc)) from None
