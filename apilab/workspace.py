"""The learner's workspace: their own copy of an exercise's starter, in `work/<slug>/`."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from apilab import paths
from apilab.catalog.models import Course, Exercise


class WorkspaceError(Exception):
    """The workspace could not be created; the message names the folder and the reason."""


@dataclass(frozen=True)
class Workspace:
    path: Path
    created: bool  # False: it existed and was left exactly as it was
    backup: Path | None = None  # where the previous work went, after a reset


def start_workspace(course: Course, exercise: Exercise, reset: bool = False) -> Workspace:
    """Copy the starter into the workspace if it is missing. Existing work is never touched;
    with `reset` it is moved to a dated backup folder first, so starting over loses nothing."""
    target = paths.workspace(course.root, exercise.slug)
    backup = None
    try:
        if target.exists():
            if not reset:
                return Workspace(target, created=False)
            backup = _unused(target.with_name(f"{exercise.slug}.backup-{datetime.now():%Y%m%d-%H%M%S}"))
            target.rename(backup)
        shutil.copytree(exercise.starter_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
    except OSError as exc:
        raise WorkspaceError(f"could not create your workspace {target}: {exc.strerror or exc}") from None
    return Workspace(target, created=True, backup=backup)


def _unused(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`... whichever does not exist yet (two resets in a second)."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate
