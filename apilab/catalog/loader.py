"""Load the course from its data files and check that the pieces fit together.

`load_course(root)` reads `lessons/course.toml`, every exercise it names and their mutants, and
returns a typed `Course`. Any problem raises `CatalogError` naming the file and the key, so a
course author can go straight to the line to fix.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from apilab.catalog.includes import IncludeError, with_included
from apilab.catalog.models import Course, Exercise, Mutant
from apilab.catalog.outline import unknown_exercise
from apilab.catalog.probes import ProbesError, with_probes
from apilab.catalog.stages import StagesError, with_stages

if TYPE_CHECKING:
    from grader.checks.registry import Registry

M = TypeVar("M", bound=BaseModel)
# ${fixture.field}: a placeholder that reads a run fixture (plain ${name} is data or a capture).
_FIXTURE_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\.[^}]*\}")


class CatalogError(Exception):
    """A course file is malformed or inconsistent. The message names the file and the key."""

    def __init__(self, path: Path, key: str | None, problem: str) -> None:
        self.path, self.key, self.problem = path, key, problem
        where = f"{path}: {key}" if key else str(path)
        super().__init__(f"{where}: {problem}")


def load_course(root: Path, registry: Registry | None = None) -> Course:
    """Load the course under `root` (the folder holding lessons/ and exercises/).

    `registry` holds the registered checks and fixtures (by default the grader's). A check or
    fixture that `use`s a name not in it, or whose `with` does not fit the function's typed
    parameters, is an error naming the file and the key (`checks[3].with.limit`).
    """
    registry = registry or _default_registry()
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
            exercise = _load_exercise(root / "exercises" / slug, registry, number)
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


def load_course_exercise(root: Path, name: str, registry: Registry | None = None) -> Exercise:
    """One exercise of the course under `root`, named by its slug or number, loaded alone and
    without its mutants: what grading needs, whatever else the course holds.

    Raises CatalogError for a malformed file, and KeyError naming the known exercises for a name
    the course does not have.
    """
    manifest = root / "lessons" / "course.toml"
    listed = [(lesson.slug, slug) for lesson in _parse(Course, manifest).lessons
              for slug in lesson.exercises]
    for number, (lesson, slug) in enumerate(listed, 1):
        if name in (slug, str(number)):
            exercise = _load_exercise(root / "exercises" / slug, registry or _default_registry(),
                                      number, mutants=False)
            if (exercise.slug, exercise.lesson) != (slug, lesson):
                raise CatalogError(exercise.root / "exercise.toml", "slug",
                                   f"{exercise.slug!r} of lesson {exercise.lesson!r} is listed as "
                                   f"{slug!r} under {lesson!r} in course.toml")
            return exercise
    raise KeyError(unknown_exercise(name, [slug for _lesson, slug in listed]))


def load_exercise(folder: Path, registry: Registry | None = None) -> Exercise:
    """Load one exercise folder on its own (for authors testing a new exercise)."""
    return _load_exercise(folder, registry or _default_registry(), number=0)


def _default_registry() -> Registry:
    from grader.checks.registry import default

    return default()


def _load_exercise(folder: Path, registry: Registry, number: int, mutants: bool = True) -> Exercise:
    path = folder / "exercise.toml"
    try:
        # Probes explore this exercise's own contract; an included exercise brings its checks,
        # not its probes (its contract describes its own paths, not those under a base path).
        own = _parse(Exercise, path, expand=lambda data: with_probes(data, folder, registry))
        exercise = with_included(own, path, lambda p: _parse(Exercise, p))
    except ProbesError as exc:
        raise CatalogError(path, f"probes.{exc.key}".rstrip("."), str(exc)) from None
    except IncludeError as exc:
        raise CatalogError(path, exc.key, str(exc)) from None
    _no_duplicates(path, "checks", [check.id for check in exercise.checks], "id")
    earlier: list[str] = []
    for name, fixture in exercise.fixtures.items():
        key = f"fixtures.{name}"
        _check_registered(path, key, "fixture", fixture.use, fixture.params, registry)
        _check_needs(path, key, fixture.needs, earlier, "an earlier fixture")
        _check_placeholders(path, key, fixture.params, fixture.needs)
        earlier.append(name)
    for index, check in enumerate(exercise.checks):
        key = f"checks[{index}]"
        if check.use is not None:
            _check_registered(path, key, "check", check.use, check.params, registry)
        _check_needs(path, key, check.needs, earlier, "a fixture of this exercise")
        _check_placeholders(path, key, [check.params, [s.model_dump(by_alias=True) for s in check.steps]],
                            check.needs)
    try:  # after the checks are checked, so that `checks[N]` above names the file's order
        exercise = with_stages(exercise, {check.id for check in own.checks})
    except StagesError as exc:
        raise CatalogError(path, exc.key, str(exc)) from None
    total = sum(check.points for check in exercise.checks)
    if total != exercise.points:
        raise CatalogError(path, "points", f"is {exercise.points} but the checks add up to {total}")
    # The reference solution is not required here: an installed course leaves it out (the
    # course's policy), and `apilab verify` asks for it.
    for required in ("README.md", "starter"):
        if not (folder / required).exists():
            raise CatalogError(folder, required, "is missing; every exercise has a README.md and starter/")
    planted = _load_mutants(folder, exercise) if mutants else []
    return exercise.model_copy(update={"root": folder, "number": number, "mutants": planted})


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


def _check_registered(path: Path, key: str, kind: str, use: str, params: dict[str, Any],
                      registry: Registry) -> None:
    known = registry.checks if kind == "check" else registry.fixtures
    if use not in known:
        names = ", ".join(sorted(known)) or "none"
        raise CatalogError(path, f"{key}.use", f"unknown {kind} {use!r}; registered {kind}s: {names}")
    try:
        known[use].validate(params)
    except ValidationError as exc:
        errors = exc.errors()
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        where = _dotted(("with", *first["loc"]))
        raise CatalogError(path, f"{key}.{where}", f"{_explain(first, errors)} ({use})") from None


def _check_needs(path: Path, key: str, needs: list[str], known: list[str], what: str) -> None:
    for index, name in enumerate(needs):
        if name not in known:
            names = ", ".join(known) or "none"
            raise CatalogError(path, f"{key}.needs[{index}]",
                               f"{name!r} is not {what} (fixtures declared before it: {names})")


def _check_placeholders(path: Path, key: str, values: Any, needs: list[str]) -> None:
    """Every ${fixture.field} in `values` names a fixture listed in `needs`."""
    for text in _strings(values):
        for match in _FIXTURE_PLACEHOLDER.finditer(text):
            if match.group(1) not in needs:
                raise CatalogError(path, key, f"{match.group()} reads the fixture {match.group(1)!r}, "
                                   f"which is not in its needs; add needs = [\"{match.group(1)}\"]")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def _parse(model: type[M], path: Path, extra: dict[str, Any] | None = None,
           expand: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> M:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(path, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(path, None, f"not valid TOML: {exc}") from None
    if expand is not None:
        data = expand(data)
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
        elif part in ("function-before[_shorthand(), Matcher]", "int", "list[int]", "[key]"):
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
    if kind == "string_pattern_mismatch" and error["loc"][-1] == "[key]" and error["loc"][0] == "fixtures":
        return "a fixture name is a word of letters, digits and _ (it is read as ${name.field})"
    return error["msg"].removeprefix("Value error, ")


def _no_duplicates(path: Path, key: str, values: list[str], field: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise CatalogError(path, f"{key}[{index}].{field}", f"duplicate {field} {value!r}")
        seen.add(value)
