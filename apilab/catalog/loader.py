"""Load the course from its data files and check that the pieces fit together.

`load_course(root)` reads `lessons/course.toml`, every exercise it names and their mutants, and
returns a typed `Course`. Any problem raises `CatalogError` naming the file and the key, so a
course author can go straight to the line to fix.
"""

from __future__ import annotations

import difflib
import inspect
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from apilab.catalog.includes import IncludeError, with_included
from apilab.catalog.models import Check, Course, Exercise, Mutant

M = TypeVar("M", bound=BaseModel)


class CatalogError(Exception):
    """A course file is malformed or inconsistent. The message names the file and the key."""

    def __init__(self, path: Path, key: str | None, problem: str) -> None:
        self.path, self.key, self.problem = path, key, problem
        where = f"{path}: {key}" if key else str(path)
        super().__init__(f"{where}: {problem}")


def load_course(root: Path, known_checks: Mapping[str, Any] | None = None) -> Course:
    """Load the course under `root` (the folder holding lessons/ and exercises/).

    `known_checks` maps registered check names to their functions; by default the grader's
    registry. A check that `use`s a name not in it, or passes a parameter the function does not
    take, is an error.
    """
    if known_checks is None:
        from grader.checks import registry

        known_checks = registry.all_checks()
    manifest = root / "lessons" / "course.toml"
    course = _parse(Course, manifest)
    lessons = [lesson.model_copy(update={"number": n}) for n, lesson in enumerate(course.lessons, 1)]
    _no_duplicates(manifest, "lessons", [lesson.slug for lesson in lessons], "slug")

    exercises: dict[str, Exercise] = {}
    seen_ids: dict[str, Path] = {}
    number = 0
    for index, lesson in enumerate(lessons):
        key = f"lessons[{index}]"
        if not (root / "lessons" / lesson.reading).is_file():
            raise CatalogError(manifest, f"{key}.reading",
                               f"file {lesson.reading!r} not found in lessons/")
        if lesson.notebook and not (root / "notebooks" / lesson.notebook).is_file():
            raise CatalogError(manifest, f"{key}.notebook",
                               f"file {lesson.notebook!r} not found in notebooks/")
        for slug in lesson.exercises:
            if slug in exercises:
                raise CatalogError(manifest, f"{key}.exercises", f"exercise {slug!r} is listed twice")
            number += 1
            exercise = _load_exercise(root / "exercises" / slug, known_checks, number)
            if exercise.slug != slug:
                raise CatalogError(exercise.root / "exercise.toml", "slug",
                                   f"is {exercise.slug!r} but the folder and course.toml say {slug!r}")
            if exercise.lesson != lesson.slug:
                raise CatalogError(exercise.root / "exercise.toml", "lesson",
                                   f"is {exercise.lesson!r} but course.toml lists it under {lesson.slug!r}")
            if (other := seen_ids.get(str(exercise.id))) is not None:
                raise CatalogError(exercise.root / "exercise.toml", "id",
                                   f"{exercise.id} is already the id of {other}; ids must be unique")
            seen_ids[str(exercise.id)] = exercise.root / "exercise.toml"
            exercises[slug] = exercise
    return course.model_copy(update={"lessons": lessons, "exercises": exercises, "root": root})


def load_exercise(folder: Path, known_checks: Mapping[str, Any] | None = None) -> Exercise:
    """Load one exercise folder on its own (for authors testing a new exercise)."""
    if known_checks is None:
        from grader.checks import registry

        known_checks = registry.all_checks()
    return _load_exercise(folder, known_checks, number=0)


def _load_exercise(folder: Path, known_checks: Mapping[str, Any], number: int) -> Exercise:
    path = folder / "exercise.toml"
    try:
        exercise = with_included(_parse(Exercise, path), path, lambda p: _parse(Exercise, p))
    except IncludeError as exc:
        raise CatalogError(path, exc.key, str(exc)) from None
    _no_duplicates(path, "checks", [check.id for check in exercise.checks], "id")
    for index, check in enumerate(exercise.checks):
        _check_registered(path, f"checks[{index}]", check, known_checks)
    total = sum(check.points for check in exercise.checks)
    if total != exercise.points:
        raise CatalogError(path, "points", f"is {exercise.points} but the checks add up to {total}")
    for required in ("README.md", "starter", "solution"):
        if not (folder / required).exists():
            raise CatalogError(folder, required,
                               "is missing; every exercise has a README.md, starter/ and solution/")
    mutants = _load_mutants(folder, exercise)
    return exercise.model_copy(update={"root": folder, "number": number, "mutants": mutants})


def _load_mutants(folder: Path, exercise: Exercise) -> list[Mutant]:
    check_ids = {check.id for check in exercise.checks}
    mutants = []
    for path in sorted((folder / "mutants").glob("*.toml")):
        mutant = _parse(Mutant, path, extra={"name": path.stem})
        for index, check_id in enumerate(mutant.caught_by):
            if check_id not in check_ids:
                raise CatalogError(path, f"caught_by[{index}]", f"no check {check_id!r} in {exercise.slug}")
        for index, edit in enumerate(mutant.edits):
            target = folder / "solution" / edit.file
            if not target.is_file():
                raise CatalogError(path, f"edits[{index}].file", f"{edit.file!r} is not a file in solution/")
            found = target.read_text(encoding="utf-8").count(edit.find)
            if found != 1:
                raise CatalogError(
                    path, f"edits[{index}].find",
                    f"occurs {found} times in solution/{edit.file}; it must occur exactly once")
        mutants.append(mutant)
    return mutants


def _check_registered(path: Path, key: str, check: Check, known: Mapping[str, Any]) -> None:
    if check.use is None:
        return
    if check.use not in known:
        names = ", ".join(sorted(known)) or "none"
        raise CatalogError(path, f"{key}.use", f"unknown check {check.use!r}; registered checks: {names}")
    signature = inspect.signature(known[check.use])
    try:
        signature.bind(None, **check.params)
    except TypeError as exc:
        raise CatalogError(path, f"{key}.with", f"{check.use}: {exc}") from None


def _parse(model: type[M], path: Path, extra: dict[str, Any] | None = None) -> M:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(path, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(path, None, f"not valid TOML: {exc}") from None
    try:
        return model.model_validate({**data, **(extra or {})})
    except ValidationError as exc:
        errors = exc.errors()
        # A misspelt key shows up twice (unknown key, missing key); name the misspelling.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        raise CatalogError(path, _dotted(first["loc"]), _explain(first, errors)) from None


def _dotted(loc: tuple[Any, ...]) -> str:
    # Pydantic reports union branches and shorthand parsing as extra path parts; drop them.
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
        elif part in ("function-before[_shorthand(), Matcher]", "int", "list[int]"):
            continue
        else:
            parts.append(str(part))
    return ".".join(parts)


def _explain(error: Any, errors: list[Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        parent, key = error["loc"][:-1], str(error["loc"][-1])
        missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"][:-1] == parent]
        close = difflib.get_close_matches(key, missing, n=1)
        return f"unknown key; did you mean {close[0]!r}?" if close else "unknown key; check its spelling"
    if kind == "missing":
        return "required key is missing"
    return error["msg"].removeprefix("Value error, ")


def _no_duplicates(path: Path, key: str, values: list[str], field: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise CatalogError(path, f"{key}[{index}].{field}", f"duplicate {field} {value!r}")
        seen.add(value)
