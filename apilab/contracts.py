"""Has an exercise's task changed since the learner started it?

When `apilab start` copies a starter, it records in the workspace (`.apilab/started/<slug>.json`,
beside the learner's folder, which holds only their own files) the task it was started against:
a fingerprint (SHA-256) of each file that states the contract, the README and the OpenAPI
document, and a copy of each (`.apilab/started/<slug>/`), so that what changed can be shown line
by line. An upgraded course may change them; `apilab lessons` and the course map then say which
changed, until the learner accepts the new task (`apilab start EXERCISE --accept-task`).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from apilab import version

if TYPE_CHECKING:  # annotations only: the app's first screen needs no pydantic
    from apilab.catalog.models import Course, Exercise

RECORDS = Path(".apilab", "started")  # in the workspace
# What the learner builds against: the task in words, and its OpenAPI document.
CONTRACT_FILES = ("README.md", "openapi.yaml")


@dataclass(frozen=True)
class TaskChange:
    """The contract files of an exercise that differ from when the learner started it."""

    exercise: str
    files: tuple[str, ...]  # changed, added or removed since then
    started_at: datetime | None


def fingerprint(exercise: Exercise) -> dict[str, str]:
    """The SHA-256 of each contract file the exercise has, by name. Line endings do not count: a
    clone checked out on Windows has the same task."""
    return {name: "sha256:" + hashlib.sha256(text).hexdigest() for name, text in _contract(exercise).items()}


def _contract(exercise: Exercise) -> dict[str, bytes]:
    """The text of each contract file the exercise has, with Unix line endings, by name."""
    texts = {}
    for name in CONTRACT_FILES:
        path = exercise.root / name
        if path.is_file():
            texts[name] = path.read_bytes().replace(b"\r\n", b"\n")
    return texts


def record_start(workspace: Path, exercise: Exercise, started_at: datetime | None = None) -> None:
    """Record the task the learner starts `exercise` against in `workspace` (now, unless
    `started_at`). OSError when it cannot be written."""
    moment = started_at or datetime.now(UTC)
    record = {"exercise": exercise.slug, "exercise_id": str(exercise.id),
              "started_at": moment.isoformat(timespec="seconds"), "apilab": version(),
              "contract": fingerprint(exercise)}
    path = _record_path(workspace, exercise)
    copies = path.with_suffix("")
    copies.mkdir(parents=True, exist_ok=True)
    contract = _contract(exercise)
    for name in CONTRACT_FILES:
        if name in contract:
            (copies / name).write_bytes(contract[name])
        else:
            (copies / name).unlink(missing_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def task_diff(workspace: Path, change: TaskChange, exercise: Exercise) -> str | None:
    """What changed in the task, as a unified diff of each changed file from the copy kept when
    the learner started to the course's file now; None when no copy was kept (started with an
    older apilab)."""
    copies = _record_path(workspace, exercise).with_suffix("")
    if not copies.is_dir():
        return None
    now = _contract(exercise)
    parts = []
    for name in change.files:
        then = (copies / name).read_bytes() if (copies / name).is_file() else b""
        parts.extend(difflib.unified_diff(
            then.decode("utf-8", "replace").splitlines(keepends=True),
            now.get(name, b"").decode("utf-8", "replace").splitlines(keepends=True),
            fromfile=f"{name} (when you started)", tofile=f"{name} (now)"))
    return "".join(part if part.endswith("\n") else part + "\n" for part in parts)


def accept_task(workspace: Path, exercise: Exercise) -> TaskChange | None:
    """Take the exercise's current task as the one the learner works on; the change accepted, if
    any. OSError when the record cannot be written."""
    change = task_change(workspace, exercise)
    if change is not None:
        record_start(workspace, exercise, started_at=change.started_at)
    return change


def task_change(workspace: Path, exercise: Exercise) -> TaskChange | None:
    """How the task changed since the learner started `exercise` in `workspace`; None when it
    did not, or when nothing says what it was (not started, or started before apilab kept a
    record)."""
    record = _read(_record_path(workspace, exercise))
    if record is None or not (workspace / exercise.slug).is_dir():
        return None
    then, now = record["contract"], fingerprint(exercise)
    changed = tuple(name for name in CONTRACT_FILES if then.get(name) != now.get(name))
    if not changed:
        return None
    return TaskChange(exercise.slug, changed, _moment(record.get("started_at")))


def task_changes(course: Course, workspace: Path) -> dict[str, TaskChange]:
    """Every exercise started in `workspace` whose task changed since, by slug."""
    changes = {}
    for exercise in course.ordered_exercises():
        if change := task_change(workspace, exercise):
            changes[exercise.slug] = change
    return changes


def _record_path(workspace: Path, exercise: Exercise) -> Path:
    return workspace / RECORDS / f"{exercise.slug}.json"


def _read(path: Path) -> dict | None:
    """The record, or None when it is missing or unreadable (a learner may edit anything)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("contract"), dict):
        return None
    return record


def _moment(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None

