"""Hypothesis searches over a learner's server: seeded, bounded in time, and shrinking.

A probe is a coroutine that sends one example's requests through the check's context and says
what, if anything, broke the contract (a `Finding`). `Explorer.search` lets Hypothesis draw
examples from a strategy and run the probe on each; when one fails, Hypothesis shrinks it to the
simplest example that still fails, and that example's finding (with its exchanges) is what the
check reports.

Hypothesis runs its test function synchronously, and what it draws next does not depend on how
the examples before fared, as long as none failed. So a search first lets Hypothesis draw its
examples, judging none (in this thread: a few milliseconds, bounded by the share, between
examples), then probes them in order on the event loop, where the wire lives. On a passing
server that is all: no thread, no hand-over per example. When an example fails, the search starts
again from its seed in a worker thread, the examples already probed answered as recorded (no
request is sent again), so that Hypothesis meets the failure where it was and shrinks it, each
new example handed to the event loop to probe.

Seeds come from the check's generator, itself drawn from the run's seed, so a run replays exactly
with `--seed` (as long as the server answers the same and the time budget is not reached).
Exploring stops at the end of the check's share of the probes' budget (see
`grader.contract.budget`); a failure found is shrunk for a few seconds more, within the budget.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import math
import random
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers

from grader.contract.budget import OutOfBudget, Share
from grader.recorded import Recorded

SHRINK_SECONDS = 3.0  # how long a failure found may be shrunk, from when it is found


@dataclass
class Finding:
    """What one example broke, with the requests that show it."""

    message: str
    expected: str
    received: str
    exchanges: list[Recorded] = field(default_factory=list)


Probe = Callable[[Any], Awaitable[Finding | None]]
CaseProbe = Callable[[Any, Any], Awaitable[Finding | None]]


class _Found(Exception):
    """Raised inside Hypothesis' test function so that it shrinks the example."""


class _OutOfTime(BaseException):  # not an Exception: Hypothesis lets it through at once
    """Raised inside Hypothesis' test function to end the search where it is."""


# Hypothesis mixes into what it draws the constants written in the source of every module loaded
# from outside site-packages: apilab's own when it is installed editable but not from a wheel, the
# app's modules in the app but not in the CLI. A run's seed must draw the same examples however
# apilab is installed and whatever else is loaded, so the probes draw from no such constants
# (which also spares Hypothesis filtering them for every value it draws).
providers._get_local_constants = functools.partial(providers.Constants)
providers.CONSTANTS_CACHE.cache.clear()  # what any draw before this permitted


class Explorer:
    """Runs one check's searches: each seeded from `rng`, all within its `share` of the budget."""

    def __init__(self, rng: random.Random, share: Share) -> None:
        self.rng = rng
        self.share = share
        self.deadline = share.ends
        self.examples = 0  # examples probed, over every search
        self.shrinks = 0  # failing examples seen while shrinking
        self.cut_short = False  # whether time ended an exploration before it was done
        self._shrinking_until: float | None = None

    @property
    def bound(self) -> float:
        """When a request must have ended: the end of the share, or while a failure found is
        shrunk, the end of its shrinking."""
        return self._shrinking_until or self.deadline

    def time_up(self) -> bool:
        """True once the share has ended (the check is then cut short: there was more to probe)."""
        if time.perf_counter() > self.deadline:
            self.cut_short = True
        return self.cut_short

    async def search(self, strategy: Any, probe: Probe, examples: int, *,
                     bounded: bool = True) -> Finding | None:
        """Run `probe` on up to `examples` values drawn from `strategy`; the finding of the
        simplest failing value Hypothesis could shrink to, or None when none failed. Once the
        explorer is out of time a `bounded` search probes nothing.

        Hypothesis' own work (drawing, shrinking) is bounded too: when the share (or the
        shrinking) ends first, the example in flight is cancelled and the search stops at the
        end of the example Hypothesis is drawing; it returns the failure found so far, or raises
        OutOfBudget when there is none."""
        deadline = self.deadline if bounded else float("inf")
        if bounded and self.time_up():
            return None
        if self.share.left(self.bound) <= 0:  # a draw, once the time is up
            raise OutOfBudget("the probes' time is up")
        seed = self.rng.getrandbits(64)
        # Each example probed, in order: (its repr, its finding or error).
        answers: list[tuple[str, Finding | BaseException | None]] = []
        for value in self._drawn(strategy, examples, seed, deadline):
            if time.perf_counter() > deadline:
                self.cut_short = True
                return None
            self.examples += 1
            left = self.share.left(self.bound)  # the example in flight is cut when it ends
            limit = asyncio.timeout(None if math.isinf(left) else max(left, 0.0))
            try:
                async with limit:
                    outcome: Finding | BaseException | None = await probe(value)
            except OutOfBudget:
                self.cut_short = True
                return None
            except TimeoutError as error:
                if not limit.expired():
                    outcome = error
                else:
                    self.cut_short = True
                    raise OutOfBudget("the probes' time ended while an example was probed") from None
            except Exception as error:  # noqa: BLE001 - raised again where Hypothesis sees it
                outcome = error
            answers.append((repr(value), outcome))
            if outcome is not None:
                return await self._shrunk(strategy, probe, examples, seed, answers)
        return None

    def _drawn(self, strategy: Any, examples: int, seed: int, deadline: float) -> list[Any]:
        """The examples Hypothesis draws from `seed` while none fails, in its order, up to the
        first drawn past `deadline`."""
        drawn: list[Any] = []

        def record(value: Any) -> None:
            if time.perf_counter() > deadline:
                self.cut_short = True
                raise _OutOfTime
            drawn.append(value)

        _hypothesis_test(strategy, record, examples, seed)()
        return drawn

    async def _shrunk(self, strategy: Any, probe: Probe, examples: int, seed: int,
                      answers: list[tuple[str, Finding | BaseException | None]]) -> Finding | None:
        """The search from `seed` again, in a worker thread, the examples in `answers` answered as
        recorded up to the failure that ends them; from there Hypothesis shrinks it, each example
        it tries probed on the event loop. The finding of the simplest failing example (the
        error, when a probe raised one), within SHRINK_SECONDS of the failure."""
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        lock = threading.Lock()  # between Hypothesis' thread starting an example and `stop`
        in_flight: list[concurrent.futures.Future[Finding | None]] = []
        findings: list[Finding] = []
        outer = self._shrinking_until  # a draw inside a probe is a search within a search
        shrink_until = min(time.perf_counter() + SHRINK_SECONDS, self.share.budget_ends)
        self._shrinking_until = shrink_until

        def start(value: Any) -> concurrent.futures.Future[Finding | None]:
            """Hand `value` to the event loop to probe; _OutOfTime when it may not be."""
            with lock:
                if stop.is_set() or time.perf_counter() > shrink_until:
                    raise _OutOfTime  # the smallest failure found so far is in `findings`
                self.examples += 1
                in_flight[:] = [asyncio.run_coroutine_threadsafe(probe(value), loop)]
                return in_flight[0]

        def answer(future: concurrent.futures.Future[Finding | None]) -> Finding | BaseException | None:
            """What the probe of `future` found, or the error it raised; _OutOfTime when the
            probes' time ended meanwhile."""
            try:
                return future.result()
            except (OutOfBudget, concurrent.futures.CancelledError):
                self.cut_short = True
                raise _OutOfTime from None
            except Exception as error:  # noqa: BLE001 - raised again where Hypothesis sees it
                return error

        def failed(outcome: Finding | BaseException | None) -> None:
            """Tell Hypothesis what the example gave: nothing, a finding, or an error."""
            if isinstance(outcome, BaseException):
                raise outcome
            if outcome is not None:
                findings.append(outcome)
                self.shrinks += 1
                raise _Found

        replaying: list[Any] = []  # the examples answered as recorded so far

        def replayed(value: Any) -> None:
            """The examples already probed, answered as recorded, up to the failure; from there
            (shrinking) every example is probed as it comes."""
            at = len(replaying)
            if at < len(answers) and answers[at][0] == repr(value):
                replaying.append(value)
                failed(answers[at][1])
                return
            replaying[:] = answers  # Hypothesis drew otherwise: probe from here on
            failed(answer(start(value)))

        shrink = _hypothesis_test(strategy, replayed, examples, seed)
        running = asyncio.ensure_future(asyncio.to_thread(shrink))

        def halt() -> None:
            with lock:
                stop.set()  # the thread stops at its next example
                for future in in_flight:
                    future.cancel()

        try:
            if not await _within(running, shrink_until - time.perf_counter()):
                halt()
                self.cut_short = True
        except asyncio.CancelledError:
            halt()
            raise
        finally:
            # Hypothesis may not run in two threads at once (its source inspection is not
            # thread-safe): the search ends with its thread, which stops within an example.
            try:
                await asyncio.shield(running)
            finally:
                self._shrinking_until = outer
        if findings:
            return findings[-1]
        found = answers[-1][1]  # stopped before Hypothesis met it again: the failure as found
        if isinstance(found, BaseException):
            raise found
        return found

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
                if not focus and self.time_up():
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


async def _within(running: asyncio.Future[None], seconds: float) -> bool:
    """Await `running` for at most `seconds` (inf: as long as it takes), leaving it running
    after; whether it ended."""
    if math.isinf(seconds):
        await running
        return True
    try:
        await asyncio.wait_for(asyncio.shield(running), max(seconds, 0.0))
    except TimeoutError:
        return False
    return True


@functools.cache
def prepare() -> None:
    """Ready Hypothesis, once per process, before any probe's time starts: its cache in the user's
    cache folder (not a `.hypothesis` folder in the learner's working directory), and the table
    of Unicode categories the probes' characters come from, which Hypothesis computes on a
    machine's first run (half a second) and reads from that cache afterwards (milliseconds).

    Hypothesis runs a full garbage collection the first time it runs in a thread (to see that
    its random generator is referenced), and failures are shrunk in worker threads: each would
    scan every object loaded (a tenth of a second and more). What is loaded by now (Hypothesis,
    the probes, the course) lives as long as the process, so it is frozen out of the
    collector's sight (`gc.freeze`), and those collections scan only what a run makes."""
    import gc
    import os

    from hypothesis import given, settings
    from hypothesis.configuration import set_hypothesis_home_dir

    from grader.contract.strategies import CHARACTERS
    from grader.contract.values import valid

    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        import platformdirs

        set_hypothesis_home_dir(Path(platformdirs.user_cache_dir("apilab")) / "hypothesis")
    valid({"type": "null"})  # the probes' strategies loaded
    gc.freeze()

    @settings(max_examples=1, database=None, deadline=None)
    @given(CHARACTERS)
    def draw_one(_character: str) -> None:
        pass

    draw_one()


def warm(strategies: Sequence[Any]) -> None:
    """Draw one value from each of `strategies` (the contract's bodies), so that what Hypothesis
    builds on a strategy's first use (its regular expressions, its tables) is built before the
    probes' time starts: a cost of the process, not of the probes."""
    from hypothesis import given, settings

    @settings(max_examples=1, database=None, deadline=None)
    @given(st.tuples(*strategies))
    def draw_one(_values: tuple[Any, ...]) -> None:
        pass

    draw_one()


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

    # With no database, the key Hypothesis would derive from the test's source code (reading and
    # tokenizing this file, half the fixed cost of a search) is never used: say there is none,
    # as schemathesis does for its own tests.
    test._hypothesis_internal_database_key = None  # type: ignore[attr-defined]

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
