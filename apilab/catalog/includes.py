"""An exercise that includes another's checks (`[[include]]` in exercise.toml): a later version of
an API is graded on its earlier contract too, under a base path, without a copy of its checks.

`with_included(exercise, path)` returns the exercise with the included checks first (ids
prefixed, base path set, hidden ones still hidden) and the included exercises' seeded data merged
into its own. Exercises are found beside this one, by slug.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from apilab.catalog.models import Check, DataSpec, Exercise

Parse = Callable[[Path], Exercise]


class IncludeError(ValueError):
    """An include that cannot be resolved; `key` names the place in exercise.toml."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


def with_included(exercise: Exercise, path: Path, parse: Parse,
                  seen: tuple[Path, ...] = ()) -> Exercise:
    """`exercise` (read from `path`) with the checks and data of every exercise it includes,
    resolved recursively. Raises IncludeError for a missing exercise, an include cycle, or data
    of the same name drawn differently."""
    if not exercise.include:
        return exercise
    checks: list[Check] = []
    data: dict[str, DataSpec] = {}
    for index, include in enumerate(exercise.include):
        key = f"include[{index}]"
        source = path.parent.parent / include.exercise / "exercise.toml"
        if not source.is_file():
            raise IncludeError(f"{key}.exercise", f"no exercise {include.exercise!r} beside this one "
                               f"({source} is missing)")
        if source.resolve() in (path.resolve(), *seen):
            raise IncludeError(f"{key}.exercise", f"including {include.exercise!r} makes a cycle")
        other = with_included(parse(source), source, parse, (*seen, path.resolve()))
        checks += [check.model_copy(update={"id": include.prefix + check.id,
                                            "base_path": include.base_path + check.base_path})
                   for check in other.checks]
        _merge(data, other.data, f"{key}.exercise", include.exercise)
    _merge(data, exercise.data, "data", exercise.slug)
    return exercise.model_copy(update={"checks": [*checks, *exercise.checks], "data": data})


def _merge(into: dict[str, DataSpec], data: dict[str, DataSpec], key: str, origin: str) -> None:
    for name, spec in data.items():
        if name in into and into[name] != spec:
            raise IncludeError(key, f"{origin} draws ${{{name}}} as {spec.model_dump(exclude_defaults=True)} "
                               f"but an included exercise draws it as "
                               f"{into[name].model_dump(exclude_defaults=True)}; use another name")
        into[name] = spec
