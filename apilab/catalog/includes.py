"""An exercise that includes another's checks (`[[include]]` in exercise.toml): a later version of
an API is graded on its earlier contract too, under a base path, without a copy of its checks.

`with_included(exercise, path)` returns the exercise with the included checks first (ids
prefixed, base path set, hidden ones still hidden), and the included exercises' seeded data, run
fixtures (under the same base path) and services merged into its own. Exercises are found beside
this one, by slug.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from apilab.catalog.models import Check, DataSpec, Exercise, Fixture, Service

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
    fixtures: dict[str, Fixture] = {}
    services: list[Service] = []
    for index, include in enumerate(exercise.include):
        key = f"include[{index}]"
        source = path.parent.parent / include.exercise / "exercise.toml"
        if not source.is_file():
            raise IncludeError(f"{key}.exercise", f"no exercise {include.exercise!r} beside this one "
                               f"({source} is missing)")
        if source.resolve() in (path.resolve(), *seen):
            raise IncludeError(f"{key}.exercise", f"including {include.exercise!r} makes a cycle")
        other = with_included(parse(source), source, parse, (*seen, path.resolve()))
        # The title says where the check runs: its own names paths from the included root.
        checks += [check.model_copy(update={"id": include.prefix + check.id,
                                            "title": f"Under {include.base_path}: {check.title}",
                                            "base_path": include.base_path + check.base_path,
                                            # marked in the included exercise's README, verified there
                                            "rules": []})
                   for check in other.checks]
        _merge(data, other.data, f"{key}.exercise", include.exercise, "draws ${{{name}}} as")
        based = {name: fixture.model_copy(update={"base_path": include.base_path + fixture.base_path})
                 for name, fixture in other.fixtures.items()}
        _merge(fixtures, based, f"{key}.exercise", include.exercise, "prepares the fixture {name} as")
        services += [name for name in other.services if name not in services]
    _merge(data, exercise.data, "data", exercise.slug, "draws ${{{name}}} as")
    _merge(fixtures, exercise.fixtures, "fixtures", exercise.slug, "prepares the fixture {name} as")
    services += [name for name in exercise.services if name not in services]
    return exercise.model_copy(update={"checks": [*checks, *exercise.checks], "data": data,
                                       "fixtures": fixtures, "services": services})


def _merge(into: dict, items: dict, key: str, origin: str, what: str) -> None:
    """Add `items` to `into`; a name already there with another value is an error."""
    for name, value in items.items():
        if name in into and into[name] != value:
            raise IncludeError(key, f"{origin} {what.format(name=name)} "
                               f"{value.model_dump(exclude_defaults=True)} but an included exercise "
                               f"has {into[name].model_dump(exclude_defaults=True)}; use another name")
        into[name] = value
