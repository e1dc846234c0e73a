"""The learner's workspace: their own copy of an exercise's starter, in `work/<slug>/`."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from apilab import paths
from apilab.catalog.models import Course, Exercise, Lesson
from apilab.languages import DEFAULT_LANGUAGE, LANGUAGES


class WorkspaceError(Exception):
    """The workspace could not be created; the message names the folder and the reason."""


@dataclass(frozen=True)
class Workspace:
    path: Path
    created: bool  # False: it existed and was left exactly as it was
    backup: Path | None = None  # where the previous work went, after a reset


def start_workspace(course: Course, exercise: Exercise, reset: bool = False,
                    language: str | None = None) -> Workspace:
    """Copy the starter (in `language`, Python unless told) into the workspace if it is missing.
    Existing work is never touched; with `reset` it is moved to a dated backup folder first, so
    starting over loses nothing."""
    target = paths.workspace(course.root, exercise.slug)
    starter = starter_for(exercise, language)
    backup = None
    try:
        if target.exists():
            if not reset:
                return Workspace(target, created=False)
            backup = _unused(target.with_name(f"{exercise.slug}.backup-{datetime.now():%Y%m%d-%H%M%S}"))
            target.rename(backup)
        shutil.copytree(starter, target, ignore=shutil.ignore_patterns("__pycache__"))
    except OSError as exc:
        raise WorkspaceError(f"could not create your workspace {target}: {exc.strerror or exc}") from None
    return Workspace(target, created=True, backup=backup)


def starter_for(exercise: Exercise, language: str | None = None) -> Path:
    """The starter folder of `exercise` in `language` (by default Python, or its only one).
    WorkspaceError naming the languages it has when it has no starter in that one."""
    starters = exercise.starters
    if language is None:
        language = DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in starters else next(iter(starters), None)
    if language not in starters:
        have = ", ".join(f"{lang} ({LANGUAGES[lang].name})" if lang in LANGUAGES else lang
                         for lang in starters)
        raise WorkspaceError(f"{exercise.slug} has no starter in {language}; it has: {have}")
    return starters[language]


def notebook_copy(course: Course, lesson: Lesson) -> Path:
    """The learner's own copy of a lesson's notebook, in `work/notebooks/`, made on first use.

    Learners edit and run their copy, so the course's notebook stays as published (a `git pull`
    of the course never meets their changes) and their work survives course updates.
    """
    source = _published_notebook(course, lesson)
    target = course.root / "work" / "notebooks" / source.name
    if not target.exists():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        except OSError as exc:
            raise WorkspaceError(f"could not copy the notebook to {target}: "
                                 f"{exc.strerror or exc}") from None
    return target


def reset_notebook_copy(course: Course, lesson: Lesson) -> Path | None:
    """Move the learner's copy of a lesson's notebook to a dated backup beside it, so that the
    next `notebook_copy` starts from the course's notebook. Returns the backup (None: no copy)."""
    source = _published_notebook(course, lesson)
    target = course.root / "work" / "notebooks" / source.name
    if not target.exists():
        return None
    backup = _unused(target.with_name(f"{target.stem}.backup-{datetime.now():%Y%m%d-%H%M%S}{target.suffix}"))
    try:
        target.rename(backup)
    except OSError as exc:
        raise WorkspaceError(f"could not move your copy {target} aside: {exc.strerror or exc}") from None
    return backup


def _published_notebook(course: Course, lesson: Lesson) -> Path:
    source = course.notebook_path(lesson)
    if source is None:
        raise WorkspaceError(f"lesson {lesson.number} ({lesson.slug}) has no notebook")
    if not source.is_file():
        raise WorkspaceError(f"the notebook {source} is missing; check that the course is "
                             "complete (git status)")
    return source


def _unused(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`... whichever does not exist yet (two resets in a second)."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate
