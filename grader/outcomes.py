"""Run one piece of grading work (a check, a run fixture) under its time limit, and record how it
ended: passed, failed with a reason, timed out, or broke inside the grader.

Whatever the work does, `attempt` returns and the outcome says what happened: a learner's failure
is a result, and a bug in a check costs that check, not the learner's report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from grader.context import CheckFailed
from grader.recorded import Recorded
from grader.report import Outcome


async def attempt(outcome: Outcome, work: Callable[[], Awaitable[Any]], budget: float,
                  run_limit: float, *, stopped_hint: str) -> Any:
    """Await `work()` within `budget` seconds, recording its end on `outcome`.

    Returns what `work` returned, or None when it did not pass. `run_limit` is the whole run's
    limit (named when the run's time is used up); `stopped_hint` (with `{setup}` in it) replaces
    the hint when the work stopped while preparing what it tests (see `CheckContext.preparing`).
    """
    started = time.perf_counter()
    value = None
    try:
        if budget <= 0:
            raise CheckFailed(f"not run: the whole run reached its time limit of {run_limit:g} s")
        async with asyncio.timeout(budget):
            value = await work()
        outcome.status = "pass"
    except CheckFailed as failure:
        outcome.message, outcome.expected, outcome.received = (
            storable(failure.message), storable(failure.expected), storable(failure.received))
        if failure.setup:
            # The work's own why and hint are about what it tests, which it never reached.
            outcome.stopped_while, outcome.why = failure.setup, ""
            outcome.hint = stopped_hint.format(setup=failure.setup)
    except TimeoutError:
        outcome.message = (f"it took longer than its limit of {budget:g} s; "
                           "your server is too slow or stopped answering")
    except Exception as exc:  # a bug in a check must cost that check, not the learner's report
        outcome.message = (f"the grader itself failed here ({type(exc).__name__}: {exc}); "
                           "this is a bug in apilab, not in your server. Please report it with "
                           "the replay command below.")
    outcome.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return value


def storable(text: str | None) -> str | None:
    """`text` safe to encode as UTF-8.

    JSON from a learner's server may hold lone surrogates ("\\ud800"); they cannot be encoded as
    UTF-8, so a report quoting them could not be saved or printed. They are kept as escapes.
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if text else text


def redacted(outcome: Outcome, exchanges: list[Recorded], what: str = "a hidden check") -> None:
    """Record `exchanges` on `outcome` (as the report's records), or, for a hidden one, only
    whether it passed.

    Hidden checks use data the learner must not see: pass or fail only, never the requests.
    `what` names the outcome in the message that replaces its own.
    """
    if not outcome.hidden:
        outcome.exchanges = [exchange.exchange() for exchange in exchanges]
        return
    if outcome.passed:
        message = ""
    elif outcome.stopped_while:
        message = (f"{what} stopped while {outcome.stopped_while}, before what it tests; "
                   "make the visible checks pass first")
    else:
        message = f"{what} failed; its requests are not shown"
    outcome.exchanges, outcome.message, outcome.expected, outcome.received = [], message, None, None
