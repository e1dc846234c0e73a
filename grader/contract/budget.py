"""The probes' time budget: one bound on their whole wall time in a run.

The budget is spent only while the probes work (making their resources in the `contract` run
fixture, then each probe check), so the exercise's own checks run between them cost it nothing.
Each probe check, when it starts, gets a share of what is left, by its weight among the checks
still to come: time one check does not use goes to the others. Everything a check does (making
resources, walking lists, probing, shrinking) ends with its share: a request still in flight
then is cut, as are the requests of setup when the whole budget ends. A failure found may be
shrunk past the check's share, but never past the end of the whole budget.

The budget starts once Hypothesis is ready (loaded, its Unicode tables read, a first value
drawn from each body of the contract: see `explore.prepare` and `explore.warm`), a cost of the
process rather than of the probes, which the report states beside the budget (`ready_s`).

A probe cut short by the budget is not a failure: it reports what it reached, and the report
names it (see `Budget.summary`). Light on purpose: the course loads it without Hypothesis.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

from grader.report import ProbeTime


class OutOfBudget(Exception):  # noqa: N818 (not an error: the end of the probes' time)
    """The probes' time ran out before this request or this step. Not a `CheckFailed`: being cut
    short by the budget is never the server's fault."""


@dataclass(frozen=True)
class Share:
    """The time one check (or the setup) may use, as `time.perf_counter()` instants."""

    ends: float  # exploring stops, and every request is cut, at this instant
    budget_ends: float  # the end of the whole budget: shrinking a failure found stops here

    def left(self, until: float | None = None) -> float:
        """Seconds from now until `until` (the end of the share by default); inf when unbounded."""
        return (self.ends if until is None else until) - time.perf_counter()


class Budget:
    """Seconds in all for the probes of one run, shared by `weights` (check id: weight)."""

    def __init__(self, seconds: float, weights: dict[str, float]) -> None:
        self.seconds = seconds
        self.ready_s = 0.0  # getting Hypothesis ready, before the budget started
        self.used = 0.0
        self.waiting = dict(weights)  # checks that have not started yet, with their weights
        self.cut_short: list[str] = []  # checks that stopped before they had explored everything

    @property
    def remaining(self) -> float:
        return max(0.0, self.seconds - self.used)

    @contextlib.contextmanager
    def spending(self, check_id: str | None = None) -> Iterator[Share]:
        """Spend the budget while the body runs: `check_id`'s share of what is left, or (for the
        setup, `None`) all that is left."""
        started, remaining = time.perf_counter(), self.remaining
        if check_id is None:
            seconds = remaining
        else:
            weight = self.waiting.pop(check_id, 1.0)
            seconds = remaining * weight / (weight + sum(self.waiting.values()))
        try:
            yield Share(started + seconds, started + remaining)
        finally:
            self.used += time.perf_counter() - started

    def cut(self, check_id: str) -> None:
        if check_id not in self.cut_short:
            self.cut_short.append(check_id)

    def summary(self) -> ProbeTime:
        """What the report says of the probes' time: the budget, the time used, what was cut."""
        return ProbeTime(budget_s=None if math.isinf(self.seconds) else round(self.seconds, 3),
                         used_s=round(self.used, 3), ready_s=round(self.ready_s, 3),
                         cut_short=list(self.cut_short))
