"""An exercise's stages (`[[stages]]` in exercise.toml): its checks grouped into ordered steps.

    [[stages]]
    id = "create"
    title = "Create books"
    checks = ["create-201", "create-defaults"]

    [[stages]]
    id = "v1"
    title = "The first version still works, under /v1"
    includes = ["reading-list"]      # every check included from that exercise

`with_stages(exercise, own)` checks that every check is in exactly one stage and returns the
exercise with `includes` resolved into check ids, each stage's checks in the file's order. The
checks keep that order too: a run of every check (`--all`, `submit`, `apilab verify`) runs them
as written; a run by stages (`apilab check`) runs stage after stage, stopping after the first
with a failure. An
exercise without stages gets one holding every check, so a small course needs none.
"""

from __future__ import annotations

import difflib

from apilab.catalog.models import Exercise, Stage


class StagesError(ValueError):
    """The stages do not fit the checks; `key` names the place in exercise.toml."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


def with_stages(exercise: Exercise, own: set[str]) -> Exercise:
    """`exercise` with each stage listing its checks, in the file's order.

    `own` holds the ids of the checks written in this exercise's file, the others being included.
    Raises StagesError for an unknown check or exercise, a check in two stages or in none, and
    two stages with one id.
    """
    ids = [check.id for check in exercise.checks]
    if not exercise.stages:
        return exercise.model_copy(update={"stages": [Stage(id="all", title="All checks", checks=ids)]})
    included = {include.exercise: [i for i in ids if i not in own and i.startswith(include.prefix)]
                for include in exercise.include}
    placed: dict[str, str] = {}  # check id -> the id of its stage
    stages: list[Stage] = []
    for index, stage in enumerate(exercise.stages):
        key = f"stages[{index}]"
        if stage.id in {s.id for s in stages}:
            raise StagesError(f"{key}.id", f"duplicate stage id {stage.id!r}")
        members: list[tuple[str, str]] = []  # (check id, key naming it)
        for number, slug in enumerate(stage.includes):
            if slug not in included:
                known = ", ".join(included) or "none"
                raise StagesError(f"{key}.includes[{number}]",
                                  f"{slug!r} is not an exercise this one includes (included: {known})")
            members += [(check_id, f"{key}.includes[{number}]") for check_id in included[slug]]
        for number, check_id in enumerate(stage.checks):
            if check_id not in ids:
                close = difflib.get_close_matches(check_id, ids, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise StagesError(f"{key}.checks[{number}]", f"no check {check_id!r} in this exercise{hint}")
            members.append((check_id, f"{key}.checks[{number}]"))
        for check_id, where in members:
            if check_id in placed:
                raise StagesError(where, f"{check_id!r} is already in stage {placed[check_id]!r}; "
                                         "a check belongs to one stage")
            placed[check_id] = stage.id
        mine = {check_id for check_id, _ in members}
        stages.append(stage.model_copy(update={"checks": [i for i in ids if i in mine], "includes": []}))
    if missing := [check_id for check_id in ids if check_id not in placed]:
        raise StagesError("stages", f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                                    "in no stage; add each check to the stage where a learner meets it")
    return exercise.model_copy(update={"stages": stages})
