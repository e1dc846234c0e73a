"""The learner's workspace: the folder of their own work, which course updates never touch.

It holds one folder per exercise they started (`<slug>/`, copied from the starter by `apilab
start`) and their copies of the lessons' notebooks (`notebooks/`). `apilab init` creates one,
marked by `apilab-workspace.toml`; commands find it from that folder or any folder below it.
`APILAB_WORKSPACE` names one explicitly. Outside any workspace, a course that is not the installed
one (a clone of the repository) keeps the work in `work/` inside it, as it always has.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from apilab import paths
from apilab.contracts import record_start
from apilab.languages import DEFAULT_LANGUAGE, LANGUAGES

if TYPE_CHECKING:  # annotations only: the app's first screen needs no pydantic
    from apilab.catalog.models import Course, Exercise, Lesson

MARKER = "apilab-workspace.toml"  # the file that makes a folder a workspace
DEFAULT_FOLDER = "apilab-course"  # what `apilab init` creates when given no folder


class WorkspaceError(Exception):
    """The workspace could not be created; the message names the folder and the reason."""


class NoWorkspaceError(WorkspaceError):
    """No workspace here; the message says how to create one and where the learner's are."""


def find_workspace(start: Path) -> Path | None:
    """The nearest folder, `start` or one above it, that is a workspace; None if there is none."""
    start = start.resolve()
    return next((folder for folder in (start, *start.parents) if (folder / MARKER).is_file()), None)


def workspace_root(course_root: Path) -> Path:
    """The learner's workspace for the course at `course_root` (a clone's `work/` may not exist
    yet). NoWorkspaceError, saying what to do, when there is none."""
    if configured := os.environ.get("APILAB_WORKSPACE"):
        folder = Path(configured).expanduser().resolve()
        if not folder.is_dir():
            raise NoWorkspaceError(f"APILAB_WORKSPACE is {folder}, which is not a folder. Create "
                                   f"it with: apilab init {folder}   (or unset APILAB_WORKSPACE)")
        return folder
    try:
        here = Path.cwd()
    except OSError:  # the current folder was deleted
        here = None
    if here is not None and (found := find_workspace(here)) is not None:
        return found
    if not paths.is_installed(course_root):
        return course_root / "work"
    raise NoWorkspaceError(_no_workspace_message(here))


def exercise_folder(course_root: Path, slug: str) -> Path:
    """The learner's own copy of an exercise: `<workspace>/<slug>/` (it may not exist yet)."""
    return workspace_root(course_root) / slug


def _no_workspace_message(here: Path | None) -> str:
    where = f" ({here})" if here else ""
    lines = [f"you are not in an apilab workspace here{where}: the folder where your exercises "
             "and notebooks go."]
    known = remembered_workspaces()
    if known:
        lines.append("Yours: " + ", ".join(str(folder) for folder in known) + " (cd there and run "
                     "this again).")
    lines.append(f"To create one: apilab init   (./{DEFAULT_FOLDER}; or apilab init FOLDER), then "
                 "cd into it.")
    return "\n".join(lines)


# --- workspaces apilab made, so that a command run elsewhere can say where they are ---------------

REMEMBERED = 5


def _remembered_file() -> Path:
    return paths.data_home() / "workspaces.txt"


def remembered_workspaces() -> list[Path]:
    """The workspaces `apilab init` made on this machine that still exist, newest first."""
    try:
        lines = _remembered_file().read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [Path(line) for line in lines if line and (Path(line) / MARKER).is_file()]


def remember_workspace(folder: Path) -> None:
    """Note `folder` as the newest workspace; forgetting is no reason to fail, so errors pass."""
    known = [folder, *(f for f in remembered_workspaces() if f != folder)][:REMEMBERED]
    with contextlib.suppress(OSError):
        _remembered_file().write_text("".join(f"{f}\n" for f in known), encoding="utf-8")


# --- an exercise's starter and a lesson's notebook, copied in -------------------------------------


@dataclass(frozen=True)
class Workspace:
    """An exercise's folder in the workspace, after `start_workspace`."""

    path: Path
    created: bool  # False: it existed and was left exactly as it was
    backup: Path | None = None  # where the previous work went, after a reset


def start_workspace(course: Course, exercise: Exercise, reset: bool = False,
                    language: str | None = None) -> Workspace:
    """Copy the starter (in `language`, Python unless told), with the exercise's OpenAPI
    document, into the workspace if it is missing, and record the task it was started against
    (`apilab.contracts`). Existing work is never touched; with `reset` it is moved to a dated
    backup folder first, so starting over loses nothing. NoWorkspaceError when there is no
    workspace to copy it into."""
    target = exercise_folder(course.root, exercise.slug)
    starter = starter_for(exercise, language)
    backup = None
    try:
        if target.exists():
            if not reset:
                return Workspace(target, created=False)
            backup = _unused(target.with_name(f"{exercise.slug}.backup-{datetime.now():%Y%m%d-%H%M%S}"))
            target.rename(backup)
        shutil.copytree(starter, target, ignore=shutil.ignore_patterns("__pycache__"))
        if exercise.contract.is_file():  # the contract, in the form the learner's tools read
            shutil.copy2(exercise.contract, target / exercise.contract.name)
        record_start(target.parent, exercise)
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
    """The learner's own copy of a lesson's notebook, in the workspace's `notebooks/`, made on
    first use.

    Learners edit and run their copy, so the course's notebook stays as published (an update of
    the course never meets their changes) and their work survives course updates.
    """
    source = _published_notebook(course, lesson)
    target = workspace_root(course.root) / "notebooks" / source.name
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
    target = workspace_root(course.root) / "notebooks" / source.name
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
