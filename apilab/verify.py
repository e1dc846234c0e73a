"""The course checks itself: every exercise's openapi.yaml states the contract its README states,
every solution passes, every starter fails, every mutant is caught by exactly the checks it
names, every notebook runs.

Each exercise's solution, starter and mutants (and each notebook) is a job: build it, serve it,
grade it, stop it. Jobs of the whole course run concurrently, but at most `jobs` at a time
(`default_jobs()`: a few per core), since starting a server is CPU-bound and a machine with two
cores must not be swamped. The services the exercises declare (the sandbox) are started once for
the run; every server is given their URLs in its environment (`SANDBOX_URL`) and the grader is
told the same. Verdicts are printed in course order as soon as they are known.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from apilab.app_servers import START_TIMEOUT, AppServer, ServerStartError, materialize
from apilab.catalog.models import Course, Exercise, Mutant
from grader.report import Report

VERIFY_SEED = 20250314  # fixed, so a failing verification replays with `apilab check --seed`
# Servers share the machine with each other, and with whatever else runs on it: the contract
# probes get no time budget here, only their number of examples (each search's own bound), so
# that what they reach depends on the seed, never on the machine's load. A learner's run keeps
# the exercise's budget.
PROBE_SCALE = math.inf
Source = Literal["starter", "solution"] | Mutant
# The environment variable that gives a served app each service's URL.
SERVICE_ENV = {"sandbox": "SANDBOX_URL"}
# A rule of an exercise's contract, marked in its README right after the rule's words, where a
# rendered README shows nothing; checks name the rules they enforce (`rules = [...]`).
RULE_MARK = re.compile(r"<!--\s*rule:\s*([a-z0-9]+(?:-[a-z0-9]+)*)\s*-->")


@dataclass
class Verdict:
    """One thing `apilab verify` proved or failed to prove."""

    ok: bool
    subject: str  # e.g. "reading-list: mutant no-location"
    detail: str


def default_jobs() -> int:
    """How many jobs run at once: four per core. A job's grading is mostly waiting (for its
    server's answers, and by design for lockouts and time windows to pass), so one server starts
    while several are graded; on two cores the whole course verified in 96 s with four jobs and
    69 s with eight (bench/verify_course.py measures it)."""
    return 4 * (os.cpu_count() or 1)


def verify_course(course: Course, exercises: Sequence[Exercise] | None = None,
                  notebooks: bool = True, echo: Callable[[str], None] = print,
                  jobs: int | None = None) -> bool:
    """Prove the course holds together; print one line per verdict; True when all hold.

    For every exercise its OpenAPI document is valid and agrees with its README, the solution
    passes every check (hidden ones and contract probes included), the starter fails, and every
    mutant fails exactly the checks it names (see `graded`). For every lesson's notebook, its
    solution runs against a fresh sandbox and each blank fails its self-check until answered
    (see `apilab.verify_notebooks`). At most `jobs` (default `default_jobs()`) servers or
    notebooks at a time.
    """
    chosen = list(exercises or course.ordered_exercises())
    paths = [(p, tuple(lesson.labs)) for lesson in course.lessons
             if (p := course.notebook_path(lesson))] if notebooks else []
    verdicts = asyncio.run(_verify(chosen, paths, echo, jobs or default_jobs()))
    failed = sum(not v.ok for v in verdicts)
    echo(f"\n{len(verdicts) - failed} passed, {failed} failed")
    return failed == 0


async def _verify(exercises: list[Exercise], notebooks: list[tuple[Path, tuple[str, ...]]],
                  echo: Callable[[str], None], jobs: int) -> list[Verdict]:
    limit = asyncio.Semaphore(jobs)
    needed = sorted({name for exercise in exercises for name in exercise.services})
    with tempfile.TemporaryDirectory(prefix="apilab-verify-") as tmp, _services(needed) as services:
        # Notebooks are the longest jobs: they take their places first, so they do not finish last.
        notebook_tasks = [[asyncio.create_task(_bounded(limit, _verify_notebook(path, labs)))]
                          for path, labs in notebooks]
        groups: list[list[asyncio.Task[list[Verdict]]]] = []
        for exercise in exercises:
            groups.append([asyncio.create_task(_verify_rules(exercise)),
                           asyncio.create_task(asyncio.to_thread(_contract_verdicts, exercise)), *(
                asyncio.create_task(_verify_source(
                    limit, exercise, source, Path(tmp) / exercise.slug / _name(source), services))
                for source in ["solution", "starter", *exercise.mutants])])
        groups += notebook_tasks
        verdicts = []
        for group in groups:  # in course order, each as soon as it and those before it are done
            for task in group:
                for verdict in await task:
                    echo(_line(verdict))
                    verdicts.append(verdict)
    return verdicts


async def _bounded(limit: asyncio.Semaphore, work: Awaitable[list[Verdict]]) -> list[Verdict]:
    async with limit:
        return await work


async def _verify_source(limit: asyncio.Semaphore, exercise: Exercise, source: Source, folder: Path,
                         services: Mapping[str, str | Exception]) -> list[Verdict]:
    """Serve one version of an exercise, grade it, and judge the report. Starting and grading
    take one of the `limit` places; stopping the server (which waits) does not."""
    from grader.runner import Limits, grade

    subject = f"{exercise.slug}: {_label(source)}"
    missing = {name: services[name] for name in exercise.services if isinstance(services[name], Exception)}
    if missing:
        return [Verdict(False, subject, f"the {name} did not start: {problem}")
                for name, problem in missing.items()]
    urls = {name: str(services[name]) for name in exercise.services}
    env = {SERVICE_ENV[name]: url for name, url in urls.items()}
    server = None
    try:
        async with limit:
            server = AppServer(materialize(exercise, source, folder), None, env=env)
            await server.ready(time.monotonic() + START_TIMEOUT)
            report = await grade(graded(exercise, source), server.url, seed=VERIFY_SEED,
                                 include_hidden=True, services=urls,
                                 limits=Limits(probe_scale=PROBE_SCALE, check_timeout=90,
                                               run_timeout=600))
    except ServerStartError as exc:
        return [Verdict(False, subject, f"did not start: {exc}")]
    finally:
        if server is not None:
            await asyncio.to_thread(server.stop)
    if isinstance(source, Mutant):
        return [_mutant_verdict(exercise, source, report)]
    judge = _solution_verdict if source == "solution" else _starter_verdict
    return [judge(exercise, report)]


def graded(exercise: Exercise, source: Source) -> Exercise:
    """The exercise as `source` is graded: the solution with every check; a mutant without the
    costly checks (the contract probes, and the checks marked `slow`, which wait out lockouts)
    other than those its `caught_by` names; the starter without the costly checks. A mutant the
    checks it names catch proves what it is for whatever else would also catch it."""
    costly = set(exercise.probes.checks) if exercise.probes else set()
    costly |= {check.id for check in exercise.checks if check.slow}
    if source == "solution" or not costly:
        return exercise
    named = set(source.caught_by) if isinstance(source, Mutant) else set()
    return exercise.model_copy(update={"checks": [
        check for check in exercise.checks if check.id not in costly or check.id in named]})


@contextlib.contextmanager
def _services(names: Sequence[str]) -> Iterator[dict[str, str | Exception]]:
    """Start each named service once for the run; its URL, or why it did not start."""
    from apilab.sandbox_process import SandboxError, SandboxProcess

    started: dict[str, str | Exception] = {}
    with contextlib.ExitStack() as stack:
        for name in names:
            if name != "sandbox":  # the only service so far; the catalog refuses other names
                raise ValueError(f"apilab verify does not know how to start the {name}")
            try:
                started[name] = stack.enter_context(SandboxProcess()).url
            except SandboxError as exc:
                started[name] = exc
        yield started


async def _verify_notebook(path: Path, labs: tuple[str, ...]) -> list[Verdict]:
    from apilab.verify_notebooks import verify_notebook

    return await asyncio.to_thread(verify_notebook, path, labs=labs)


def readme_rules(readme: Path) -> list[str]:
    """The ids of the rules `readme` marks (`<!-- rule: ID -->`), in order, each once."""
    return list(dict.fromkeys(RULE_MARK.findall(readme.read_text(encoding="utf-8"))))


async def _verify_rules(exercise: Exercise) -> list[Verdict]:
    """Every rule the README marks is named by a check, and every rule a check names is marked.
    Nothing to say about a README that marks no rules."""
    marked = readme_rules(exercise.readme)
    named = {rule: check.id for check in exercise.checks for rule in check.rules}
    if not marked and not named:
        return []
    subject = f"{exercise.slug}: README rules"
    problems = []
    if uncovered := [rule for rule in marked if rule not in named]:
        problems.append(f"no check enforces {', '.join(uncovered)} (name the rule in the "
                        "`rules` of the checks that do, or add a check)")
    if unmarked := sorted(set(named) - set(marked)):
        problems.append("checks name rules the README does not mark: " + ", ".join(
            f"{rule} ({named[rule]})" for rule in unmarked))
    if problems:
        return [Verdict(False, subject, "; ".join(problems))]
    return [Verdict(True, subject, f"each of the {len(marked)} rules it marks is enforced by a check")]


# --- verdicts -----------------------------------------------------------------------------------


def _contract_verdicts(exercise: Exercise) -> list[Verdict]:
    """Its openapi.yaml is valid and states the contract README.md states, item for item."""
    from apilab.contract_agreement import disagreements, summary

    subject = f"{exercise.slug}: contract"
    problems = disagreements(exercise)
    if problems:
        listed = "".join(f"\n    - {problem}" for problem in problems)
        return [Verdict(False, subject, f"{exercise.contract.name} and README.md disagree:{listed}")]
    return [Verdict(True, subject, f"{exercise.contract.name} and README.md agree ({summary(exercise)})")]


def _solution_verdict(exercise: Exercise, report: Report) -> Verdict:
    subject = f"{exercise.slug}: solution"
    if report.status == "pass" and report.score == report.max_score:
        return Verdict(True, subject, f"passes every check ({report.score}/{report.max_score})")
    return Verdict(False, subject, f"should pass everything but {_describe_failures(report)}")


def _starter_verdict(exercise: Exercise, report: Report) -> Verdict:
    subject = f"{exercise.slug}: starter"
    if report.status == "fail":
        return Verdict(True, subject, f"fails, as it should ({report.score}/{report.max_score})")
    return Verdict(False, subject, f"should fail but its status is {report.status} {report.message}")


def _mutant_verdict(exercise: Exercise, mutant: Mutant, report: Report) -> Verdict:
    subject = f"{exercise.slug}: mutant {mutant.name}"
    failed = {check.id for check in report.failed}
    named = set(mutant.caught_by)
    if report.status == "error":
        return Verdict(False, subject, f"could not be graded: {report.message}")
    if failed == named:
        return Verdict(True, subject, f"caught by {', '.join(mutant.caught_by)}")
    problems = []
    if missed := sorted(named - failed):
        problems.append(f"should fail {', '.join(missed)} but passed")
    if extra := sorted(failed - named):
        problems.append(f"also fails {', '.join(extra)}, which caught_by does not name")
    return Verdict(False, subject, "; ".join(problems))


def _describe_failures(report: Report) -> str:
    if report.status == "error":
        return f"could not be graded: {report.message}"
    problems = [f"setup {s.name} ({s.message})" for s in report.setup if not s.passed]
    problems += [f"{c.id} ({c.message})" for c in report.failed]
    return "fails " + "; ".join(problems)


def _name(source: Source) -> str:
    return source.name if isinstance(source, Mutant) else source


def _label(source: Source) -> str:
    return f"mutant {source.name}" if isinstance(source, Mutant) else source


def _line(verdict: Verdict) -> str:
    return f"{'✓' if verdict.ok else '✗'} {verdict.subject}: {verdict.detail}"
