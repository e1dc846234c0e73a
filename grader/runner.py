"""Grade a running server against an exercise and produce a `Report`.

The run is bounded end to end: each check has a time limit, the run has one, and every request
inside has its own (see `Limits`). Whatever the learner's server does, `grade` returns a report.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from apilab.catalog.models import Check, Exercise
from grader import __version__
from grader.checks import registry
from grader.context import CheckContext, CheckFailed
from grader.report import CheckResult, Report
from grader.seeding import draw, new_seed, rng_for
from grader.steps import run_steps
from grader.target import check_target
from grader.wire import Limits, Wire


@dataclass(frozen=True)
class Progress:
    """Sent before a check starts (`result` None) and after it ends."""

    index: int  # 0-based position among the checks being run
    total: int
    check: Check
    result: CheckResult | None = None


ProgressCallback = Callable[[Progress], None]
# After this many checks in a row get no answer at all, the server is gone: the rest are not
# run, so a hung server costs seconds rather than every check's full time limit.
GIVE_UP_AFTER = 3


async def grade(
    exercise: Exercise,
    url: str,
    *,
    seed: int | None = None,
    include_hidden: bool = False,
    limits: Limits | None = None,
    allow_remote: bool = False,
    start_hint: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> Report:
    """Run the exercise's checks against the server at `url`.

    Raises `TargetError` for a URL the grader may not use. A server that cannot be reached gives
    a report with status `error`; `start_hint` is a sentence saying how to start it.
    """
    url = check_target(url, allow_remote)
    limits = limits or Limits()
    seed = seed if seed is not None else new_seed()
    started_at, clock = datetime.now(UTC), time.perf_counter()
    checks = exercise.visible_checks(include_hidden)
    report = Report(
        exercise=exercise.slug, exercise_id=str(exercise.id), title=exercise.title, status="error",
        score=0, max_score=sum(c.points for c in checks), seed=seed, url=url,
        grader_version=__version__, started_at=started_at, duration_ms=0,
        hidden_included=include_hidden,
    )
    problem = await _unreachable(url, limits)
    if problem:
        report.message = f"{problem}. {start_hint or 'Start your server, then check again.'}"
    else:
        data = draw(exercise.data, seed)
        deadline = clock + limits.run_timeout
        async with Wire(url, limits) as wire:
            silent = 0  # checks in a row whose last request got no answer at all
            for index, check in enumerate(checks):
                if on_progress:
                    on_progress(Progress(index, len(checks), check))
                if silent >= GIVE_UP_AFTER:
                    result = _not_run(check, f"not run: your server stopped answering ({silent} "
                                             "checks in a row got no response). Restart it and "
                                             "check again")
                else:
                    before = len(wire.exchanges)
                    result = await _run_check(wire, check, data, seed, limits, deadline)
                    silent = silent + 1 if _unanswered(wire, before, result) else 0
                report.checks.append(result)
                if on_progress:
                    on_progress(Progress(index, len(checks), check, result))
        report.score = sum(c.points for c in report.checks)
        report.status = "pass" if all(c.passed for c in report.checks) else "fail"
    report.duration_ms = round((time.perf_counter() - clock) * 1000, 1)
    return report


def _unanswered(wire: Wire, before: int, result: CheckResult) -> bool:
    """True when a failed check's last request got no HTTP response (timeout, refused, reset)."""
    made = wire.exchanges[before:]
    return not result.passed and bool(made) and made[-1].response is None


def _not_run(check: Check, message: str) -> CheckResult:
    result = CheckResult(id=check.id, title=check.title, status="fail", points=0,
                         max_points=check.points, message=message, why=check.why, hint=check.hint,
                         hidden=check.hidden)
    return result  # no requests were made, so nothing to hide even for a hidden check


async def _run_check(wire: Wire, check: Check, data: dict, seed: int, limits: Limits,
                     deadline: float) -> CheckResult:
    result = CheckResult(id=check.id, title=check.title, status="fail", points=0,
                         max_points=check.points, why=check.why, hint=check.hint,
                         hidden=check.hidden)
    first_exchange = len(wire.exchanges)
    started = time.perf_counter()
    budget = min(limits.check_timeout, deadline - started)
    ctx = CheckContext(wire, data, rng_for(seed, check.id), base_path=check.base_path)
    try:
        if budget <= 0:
            raise CheckFailed(f"not run: the whole run reached its time limit of {limits.run_timeout:g} s")
        async with asyncio.timeout(budget):
            if check.use:
                await registry.get(check.use)(ctx, **check.params)
            else:
                await run_steps(ctx, check.steps)
        result.status, result.points = "pass", check.points
    except CheckFailed as failure:
        result.message, result.expected, result.received = (
            _storable(failure.message), _storable(failure.expected), _storable(failure.received))
        if failure.setup:
            # The check's own why and hint are about what it tests, which it never reached.
            result.stopped_while, result.why = failure.setup, ""
            result.hint = (f"This check stopped while {failure.setup}, before what it tests. "
                           "Make that request work first; the checks above that test it "
                           "explain how.")
    except TimeoutError:
        result.message = (f"the check took longer than its limit of {budget:g} s; "
                          "your server is too slow or stopped answering")
    except Exception as exc:  # a bug in a check must cost that check, not the learner's report
        result.message = (f"the grader itself failed in this check ({type(exc).__name__}: {exc}); "
                          "this is a bug in apilab, not in your server. Please report it with "
                          "the replay command below.")
    result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    result.exchanges = wire.exchanges[first_exchange:]
    return _redacted(result) if check.hidden else result


def _storable(text: str | None) -> str | None:
    # JSON from a learner's server may hold lone surrogates ("\ud800"); they cannot be encoded
    # as UTF-8, so a report quoting them could not be saved or printed. Keep them as escapes.
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if text else text


def _redacted(result: CheckResult) -> CheckResult:
    # Hidden checks use data the learner must not see: pass or fail only, never the requests.
    if result.passed:
        message = ""
    elif result.stopped_while:
        message = (f"a hidden check stopped while {result.stopped_while}, before what it tests; "
                   "make the visible checks pass first")
    else:
        message = "a hidden check failed; its requests are not shown"
    return result.model_copy(update={"exchanges": [], "message": message, "expected": None,
                                     "received": None})


async def _unreachable(url: str, limits: Limits) -> str | None:
    """Why nothing could be graded at `url`, or None when something accepts connections there."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(limits.connect_timeout):
            _reader, writer = await asyncio.open_connection(parts.hostname, port)
    except TimeoutError:
        return f"could not connect to {parts.netloc} within {limits.connect_timeout:g} s"
    except OSError as exc:
        if isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower():
            return f"nothing is listening on {parts.netloc} (connection refused)"
        return f"could not connect to {parts.netloc}: {exc.strerror or exc}"
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None
