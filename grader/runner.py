"""Grade a running server against an exercise and produce a `Report`.

The run is bounded end to end: each check has a time limit (its own `timeout`, or the default),
the run has one (grown by what checks ask beyond the default), and every request inside has its
own (see `Limits`). The run fixtures the checks need are prepared first (see `run_fixtures`).
Whatever the learner's server does, `grade` returns a report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from apilab.catalog.models import Check, Exercise, Fixture
from grader import __version__
from grader.checks import registry
from grader.context import CheckContext, Run, Server
from grader.contract.probing import Probing
from grader.outcomes import attempt, redacted
from grader.recorded import Recorded
from grader.redact import Redactor
from grader.report import CheckResult, Outcome, Report, StageResult, TimeLimits
from grader.run_fixtures import Prepared, needed, prepare
from grader.seeding import draw, new_seed, rng_for
from grader.services import service_urls, unreachable_services
from grader.steps import run_steps
from grader.target import check_target, tls_problem, unreachable
from grader.wire import Limits, Wire

OutcomeT = TypeVar("OutcomeT", bound=Outcome)


@dataclasses.dataclass(frozen=True)
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
STOPPED_HINT = ("This check stopped while {setup}, before what it tests. Make that request work "
                "first; the checks above that test it explain how.")


async def grade(
    exercise: Exercise,
    url: str,
    *,
    seed: int | None = None,
    include_hidden: bool = False,
    limits: Limits | None = None,
    allow_remote: bool = False,
    services: Mapping[str, str] | None = None,
    start_hint: str | None = None,
    on_progress: ProgressCallback | None = None,
    by_stage: bool = False,
    only: str | None = None,
) -> Report:
    """Run the exercise's checks against the server at `url`.

    With `by_stage`, the stages run in order and the run stops after the first with a failure:
    the report lists every stage, those not reached with `ran` false, and `max_score` still
    counts their checks (not yet earned). With `only`, a check id, that check alone runs.

    `services` gives the URL of each service the exercise declares (`{"sandbox": url}`); they
    must be on this machine. Raises `TargetError` (`ServiceTargetError` for a service) for a URL
    the grader may not use. A server or service that cannot be reached gives a report with
    status `error`; `start_hint` is a sentence saying how to start the learner's server.
    """
    url = check_target(url, allow_remote)
    service_at = service_urls(exercise.services, services)
    limits = limits or Limits()
    seed = seed if seed is not None else new_seed()
    checks = [check for check in exercise.visible_checks(include_hidden) if only in (None, check.id)]
    fixtures = [exercise.fixtures[name] for name in needed(exercise, checks)]
    started_at, clock = datetime.now(UTC), time.perf_counter()
    report = Report(
        exercise=exercise.slug, exercise_id=str(exercise.id), title=exercise.title, status="error",
        score=0, max_score=sum(c.points for c in checks), seed=seed, url=url, services=service_at,
        grader_version=__version__, started_at=started_at, duration_ms=0,
        hidden_included=include_hidden, time_limits=time_limits(limits, checks, fixtures),
        stages=stages_of(exercise, checks),
    )
    problem = await unreachable(url, limits.connect_timeout)
    if problem:
        report.message = f"{problem}. {start_hint or 'Start your server, then check again.'}"
    elif problem := (await tls_problem(url, limits.connect_timeout)
                     or await unreachable_services(service_at, limits.connect_timeout)):
        report.message = problem
    else:
        batches = [[c for c in checks if c.id in stage.checks] for stage in report.stages] \
            if by_stage else [checks]
        # Loading the probes is no part of the run's time (see `_with_probes_loaded`).
        clock += await _run_checks(exercise, batches, report, service_at, limits, clock, on_progress)
        report.score = sum(c.points for c in report.checks)
        report.status = "pass" if all(c.passed for c in report.checks) else "fail"
    report.duration_ms = round((time.perf_counter() - clock) * 1000, 1)
    return report


def stages_of(exercise: Exercise, checks: Sequence[Check]) -> list[StageResult]:
    """The exercise's stages that hold some of `checks`, each with those checks, none run yet."""
    ids = {check.id for check in checks}
    return [StageResult(id=stage.id, title=stage.title, ran=False,
                        checks=[check_id for check_id in stage.checks if check_id in ids])
            for stage in exercise.stages if ids.intersection(stage.checks)]


def time_limits(limits: Limits, checks: Sequence[Check], fixtures: Sequence[Fixture]) -> TimeLimits:
    """The default check limit, and the run's limit grown by every extra second a check or a
    fixture of this run asks for beyond that default."""
    asked = [item.timeout for item in [*checks, *fixtures] if item.timeout is not None]
    extra = sum(max(0.0, seconds - limits.check_timeout) for seconds in asked)
    return TimeLimits(check_s=limits.check_timeout, run_s=limits.run_timeout + extra)


async def _run_checks(exercise: Exercise, batches: list[list[Check]], report: Report,
                      service_at: Mapping[str, str], limits: Limits, clock: float,
                      on_progress: ProgressCallback | None) -> float:
    """Run the checks batch after batch (a batch is a stage, or every check), stopping after the
    first batch with a failure; each batch's fixtures are prepared just before it, so a run that
    stops early prepares nothing it does not use. Returns the seconds the contract probes took
    to load, which the run was given back."""
    assert report.time_limits is not None
    checks = [check for batch in batches for check in batch]
    data = draw(exercise.data, report.seed)
    exchanges: list[Recorded] = []  # one record for every server, in the order they happened
    secrets = Redactor()  # one for the run: a token the sandbox issued is hidden when sent on
    async with contextlib.AsyncExitStack() as stack:
        wire = await stack.enter_async_context(Wire(report.url, limits, exchanges, secrets))
        services = {name: Server(await stack.enter_async_context(Wire(u, limits, exchanges, secrets)),
                                 name)
                    for name, u in service_at.items()}
        run = Run(wire, services, data, report.seed, limits.check_timeout, report.time_limits.run_s,
                  deadline=clock + report.time_limits.run_s)
        prepared = Prepared()
        silent = 0  # checks in a row whose last request got no answer at all
        for batch in batches:
            run = _with_probes_loaded(exercise, batch, run)
            await prepare(exercise, batch, run, into=prepared, users=checks)
            for check in batch:
                index = len(report.checks)
                if on_progress:
                    on_progress(Progress(index, len(checks), check))
                if why_not := _why_not_run(check, prepared.failed, silent):
                    result = _not_run(check, report.time_limits, why_not, prepared.failed)
                else:
                    before = len(exchanges)
                    result = await _run_check(run, check, prepared.values)
                    silent = silent + 1 if _unanswered(exchanges, before, result) else 0
                result = _without_secrets(result, secrets)
                report.checks.append(result)
                if on_progress:
                    on_progress(Progress(index, len(checks), check, result))
            ran = {check.id for check in batch}
            for stage in report.stages:
                stage.ran = stage.ran or bool(ran.intersection(stage.checks))
            if not all(result.passed for result in report.checks):
                break
        report.setup = [_without_secrets(outcome, secrets) for outcome in prepared.results]
        probing = next((v for v in prepared.values.values() if isinstance(v, Probing)), None)
        if probing is not None:
            report.probes = probing.budget.summary()
    return run.deadline - (clock + report.time_limits.run_s)


def _with_probes_loaded(exercise: Exercise, batch: Sequence[Check], run: Run) -> Run:
    """`run`, once the contract probes are loaded when `batch` needs them. Their Hypothesis takes
    a tenth of a second to load, seconds on a busy machine: a run that stops at an earlier stage
    never loads it, and a run that loads it is given that time back, so that the loading never
    counts against the learner's server."""
    if "grader.contract.session" in sys.modules or not any(
            exercise.fixtures[name].use == "contract" for name in needed(exercise, batch)):
        return run
    started = time.perf_counter()
    import grader.contract.session  # noqa: F401

    return dataclasses.replace(run, deadline=run.deadline + time.perf_counter() - started)


def _without_secrets(outcome: OutcomeT, secrets: Redactor) -> OutcomeT:
    # What a check says may quote what it sent or received; the exchanges are hidden already.
    said = {name: secrets.text(value) for name in ("message", "expected", "received")
            if isinstance(value := getattr(outcome, name), str)}
    return outcome.model_copy(update=said)


def _why_not_run(check: Check, failed_fixtures: set[str], silent: int) -> str | None:
    if blocked := [name for name in check.needs if name in failed_fixtures]:
        return f"not run: it needs {', '.join(blocked)}, which could not be prepared (see Setup)"
    if silent >= GIVE_UP_AFTER:
        return (f"not run: your server stopped answering ({silent} checks in a row got no "
                "response). Restart it and check again")
    return None


def _unanswered(exchanges: list[Recorded], before: int, result: CheckResult) -> bool:
    """True when a failed check's last request got no HTTP response (timeout, refused, reset)."""
    made = exchanges[before:]
    return not result.passed and bool(made) and made[-1].status is None


def _result(check: Check, time_limit: float) -> CheckResult:
    return CheckResult(id=check.id, title=check.title, status="fail", points=0,
                       max_points=check.points, why=check.why, hint=check.hint,
                       hidden=check.hidden, time_limit_s=time_limit)


def _not_run(check: Check, limits: TimeLimits, message: str, failed_fixtures: set[str]) -> CheckResult:
    result = _result(check, check.timeout or limits.check_s)
    result.message = message
    result.blocked_by = [name for name in check.needs if name in failed_fixtures]
    return result  # no requests were made, so nothing to hide even for a hidden check


async def _run_check(run: Run, check: Check, fixtures: Mapping[str, object]) -> CheckResult:
    limit = check.timeout or run.check_timeout
    result = _result(check, limit)
    first_exchange = len(run.wire.exchanges)
    ctx = CheckContext(run.wire, run.data, rng_for(run.seed, check.id), services=run.services,
                       fixtures={name: fixtures[name] for name in check.needs if name in fixtures},
                       base_path=check.base_path)

    async def work() -> None:
        if check.use:
            registered = registry.get_check(check.use)
            await registered.fn(ctx, **registered.validate(check.params))
        else:
            await run_steps(ctx, check.steps)

    budget = min(limit, run.deadline - time.perf_counter())
    await attempt(result, work, budget, run.run_limit, stopped_hint=STOPPED_HINT)
    if result.passed:
        result.points = check.points
    redacted(result, run.wire.exchanges[first_exchange:])
    return result
