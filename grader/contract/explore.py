"""Hypothesis searches over a learner's server: seeded, bounded in time, and shrinking.

A probe is a coroutine that sends one example's requests through the check's context and says
what, if anything, broke the contract (a `Finding`). `Explorer.search` lets Hypothesis draw
examples from a strategy and run the probe on each; when one fails, Hypothesis shrinks it to the
simplest example that still fails, and that example's finding (with its exchanges) is what the
check reports.

Hypothesis runs its test function synchronously, so each search runs in a worker thread and hands
every example to the event loop, where the wire lives: requests still go through the one bounded,
recorded wire. Seeds come from the check's generator, itself drawn from the run's seed, so a run
replays exactly with `--seed` (as long as the server answers the same and the time budget is not
reached). Exploring stops at the check's deadline; a failure found is shrunk for a few seconds more.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from grader.report import Exchange

SHRINK_SECONDS = 3.0  # how long a failure found may be shrunk, from when it is found


@dataclass
class Finding:
    """What one example broke, with the requests that show it."""

    message: str
    expected: str
    received: str
    exchanges: list[Exchange] = field(default_factory=list)


Probe = Callable[[Any], Awaitable[Finding | None]]
CaseProbe = Callable[[Any, Any], Awaitable[Finding | None]]


class _Found(Exception):
    """Raised inside Hypothesis' test function so that it shrinks the example."""


class _OutOfTime(BaseException):  # not an Exception: Hypothesis lets it through at once
    """Raised inside Hypothesis' test function to end the search where it is."""


class Explorer:
    """Runs one check's searches: each seeded from `rng`, all within `seconds` from now."""

    def __init__(self, rng: random.Random, seconds: float) -> None:
        self.rng = rng
        self.deadline = time.perf_counter() + seconds
        self.examples = 0  # examples probed, over every search
        self.shrinks = 0  # failing examples seen while shrinking

    @property
    def out_of_time(self) -> bool:
        return time.perf_counter() > self.deadline

    async def search(self, strategy: Any, probe: Probe, examples: int, *,
                     bounded: bool = True) -> Finding | None:
        """Run `probe` on up to `examples` values drawn from `strategy`; the finding of the
        simplest failing value Hypothesis could shrink to, or None when none failed. Once the
        explorer is out of time a `bounded` search probes nothing."""
        deadline = self.deadline if bounded else float("inf")
        if time.perf_counter() > deadline:
            return None
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        findings: list[Finding] = []
        shrink_until: list[float] = []

        def run_probe(value: Any) -> None:
            now = time.perf_counter()
            if stop.is_set() or (now > shrink_until[0] if shrink_until else now > deadline):
                raise _OutOfTime  # the smallest failure found so far is in `findings`
            self.examples += 1
            finding = asyncio.run_coroutine_threadsafe(probe(value), loop).result()
            if finding is not None:
                if not shrink_until:
                    shrink_until.append(now + SHRINK_SECONDS)
                findings.append(finding)
                self.shrinks += 1
                raise _Found

        test = _hypothesis_test(strategy, run_probe, examples, self.rng.getrandbits(64))
        try:
            await asyncio.to_thread(test)
        finally:
            stop.set()
        return findings[-1] if findings else None

    async def sweep(self, cases: Sequence[tuple[Any, Any]], probe: CaseProbe, examples: int,
                    common: Any = None) -> Finding | None:
        """Probe every case (a label and a strategy) in each example, in order: one Hypothesis
        search draws a value for each. The first case to fail is the one shrunk: from then on
        only it is probed, so a failure costs its own requests, not the whole sweep's.

        With `common` (a strategy), each example also draws one value of it, shared by every
        case: the probe is given (that value, the case's value). A body drawn once and varied
        one field per case costs one draw, not one per case.
        """
        if not cases:
            return None
        focus: list[int] = []
        # While the failing case shrinks, Hypothesis also shrinks the other cases' values, which
        # no longer matter: a value already probed is not sent again.
        seen: dict[tuple[int, str], Finding | None] = {}

        async def each(drawn: tuple[Any, ...]) -> Finding | None:
            shared, values = drawn[0], drawn[1:]
            for index in focus or range(len(cases)):
                if not focus and self.out_of_time:
                    return None
                value = values[index] if common is None else (shared, values[index])
                key = (index, json.dumps(value, sort_keys=True, default=repr))
                if key not in seen:
                    seen[key] = await probe(cases[index][0], value)
                if (finding := seen[key]) is not None:
                    focus[:] = [index]
                    return finding
            return None

        strategies = (strategy for _label, strategy in cases)
        return await self.search(st.tuples(common if common is not None else st.none(), *strategies),
                                 each, examples)

    async def draw(self, strategy: Any, novel: bool = False) -> Any:
        """One value from `strategy`, drawn from this explorer's seed: the simplest one (which
        Hypothesis always tries first), or with `novel` one drawn at random after it."""
        drawn: list[Any] = []

        async def keep(value: Any) -> None:
            drawn.append(value)

        await self.search(strategy, keep, examples=2 if novel else 1, bounded=False)
        return drawn[-1]


def _hypothesis_test(strategy: Any, run_probe: Callable[[Any], None], examples: int,
                     seed: int) -> Callable[[], None]:
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as seeded
    from hypothesis.errors import Flaky
    from hypothesis.reporting import with_reporter

    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False)
    @seeded(seed)
    @given(strategy)
    def test(value: Any) -> None:
        run_probe(value)

    def run() -> None:
        with with_reporter(lambda _message: None):  # Hypothesis prints nothing of its own
            try:
                test()
            except (_Found, Flaky, _OutOfTime):
                pass  # a failure: the findings hold it (Flaky: the server did not fail twice alike)
            except BaseExceptionGroup as group:
                if not all(isinstance(e, _Found | Flaky | _OutOfTime) for e in _leaves(group)):
                    raise
    return run


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    return [leaf for e in group.exceptions
            for leaf in (_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])]
