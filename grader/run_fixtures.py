"""Prepare an exercise's run fixtures once, before its checks, and say which checks can run.

A fixture (`[fixtures.NAME]` in exercise.toml, `use = "<registered fixture>"`) prepares a value
the checks share: a resource on the learner's server, data in the sandbox, later two users and
their tokens. Fixtures are prepared in declaration order, only those the checks of this run need
(and what those build on). One that fails is reported once, as setup; a fixture that needs it is
not prepared, and the checks that need either are not run (they say why).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from apilab.catalog.models import Check, Exercise, Fixture
from grader.checks import registry
from grader.context import CheckContext, CheckFailed, Run
from grader.outcomes import attempt, redacted
from grader.report import SetupResult
from grader.seeding import rng_for


@dataclass
class Prepared:
    """What setup produced: each fixture's value, its result, and the names that failed."""

    values: dict[str, Any] = field(default_factory=dict)
    results: list[SetupResult] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)


def needed(exercise: Exercise, checks: Sequence[Check]) -> list[str]:
    """The fixtures `checks` need, with those they build on, in declaration order."""
    wanted = set().union(*(_with_foundations(exercise, check.needs) for check in checks))
    return [name for name in exercise.fixtures if name in wanted]


def _with_foundations(exercise: Exercise, names: Sequence[str]) -> set[str]:
    """`names` and every fixture they build on, however indirectly."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in found and name in exercise.fixtures:
            found.add(name)
            todo += exercise.fixtures[name].needs
    return found


async def prepare(exercise: Exercise, checks: Sequence[Check], run: Run, *,
                  into: Prepared | None = None, users: Sequence[Check] = ()) -> Prepared:
    """Prepare the fixtures `checks` need; never raises for what the learner's server does.

    With `into`, what an earlier call prepared (for an earlier stage) is kept and not prepared
    again; `users` are all the checks of the run, which the report names as a fixture's users.
    """
    prepared = into if into is not None else Prepared()
    done = {result.name for result in prepared.results}
    for name in needed(exercise, checks):
        if name in done:
            continue
        fixture = exercise.fixtures[name]
        # The checks that need it, directly or through a fixture built on it: when all of them
        # are hidden, so is what it sent.
        needing = [check for check in (users or checks)
                   if name in _with_foundations(exercise, check.needs)]
        result = SetupResult(name=name, title=fixture.title or f"{name} ({fixture.use})",
                             status="fail", needed_by=[check.id for check in needing],
                             hidden=all(check.hidden for check in needing))
        blocked = [n for n in fixture.needs if n in prepared.failed]
        if blocked:
            result.message = f"not prepared: it builds on {', '.join(blocked)}, which failed"
        else:
            first = len(run.wire.exchanges)
            budget = min(fixture.timeout or run.check_timeout, run.deadline - time.perf_counter())
            rng = rng_for(run.seed, f"fixture:{name}")
            value = await attempt(
                result, lambda fixture=fixture, rng=rng: _call(fixture, run, prepared, rng),
                budget, run.run_limit,
                stopped_hint="Setup stopped while {setup}, so the checks that need it were not "
                             "run. Make that request work first.")
            redacted(result, run.wire.exchanges[first:], "the setup of hidden checks")
            if result.passed:
                prepared.values[name] = value
        if not result.passed:
            prepared.failed.add(name)
        prepared.results.append(result)
    return prepared


async def _call(fixture: Fixture, run: Run, prepared: Prepared, rng: random.Random) -> Any:
    try:
        registered = registry.get_fixture(fixture.use)
    except KeyError:
        raise CheckFailed(f"no registered fixture {fixture.use!r}; this exercise file is wrong "
                          "(`apilab verify` names the problem)") from None
    params = registered.validate(fixture.params)
    ctx = CheckContext(run.wire, run.data, rng, services=run.services,
                       fixtures={n: prepared.values[n] for n in fixture.needs},
                       base_path=fixture.base_path)
    return await registered.fn(ctx, **params)
