"""What the contract probes add to a grading run, per exercise, as a ratio against the same run
without them.

Method: for each exercise named (by default every exercise with `[probes]` that needs no
service), serve its solution once (uvicorn, on a free loopback port), then grade it N times
each, alternating: with the exercise's own checks only (the baseline), and with the probes too,
as a learner's `apilab check` runs them (the exercise's budget, a new seed each time).
Reported: medians of the whole run's wall time, the seconds the probes add, the ratio, the
exercise's stated budget and the probes' own time as the report states it (which the budget
bounds), and the kinds the budget cut short in any run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from apilab.app_servers import materialize, serve_app
from apilab.catalog.loader import load_course
from apilab.catalog.models import Exercise
from apilab.paths import course_root
from grader.runner import grade


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--exercises", default="",
                        help="comma-separated slugs (default: every probed exercise without services)")


def run(runs: int = 3, exercises: str = "") -> dict:
    course = load_course(course_root())
    chosen = [course.exercises[slug] for slug in exercises.split(",") if slug] or [
        exercise for exercise in course.exercises.values() if exercise.probes and not exercise.services]
    return {"runs": runs, "exercises": {exercise.slug: _measure(exercise, runs) for exercise in chosen}}


def _measure(exercise: Exercise, runs: int) -> dict:
    assert exercise.probes is not None, f"{exercise.slug} has no [probes]"
    probes = set(exercise.probes.checks)
    without = exercise.model_copy(update={"checks": [c for c in exercise.checks if c.id not in probes]})
    times: dict[str, list[float]] = {"checks": [], "with_probes": []}
    used: list[float] = []
    cut_short: set[str] = set()
    with tempfile.TemporaryDirectory() as folder, serve_app(
            materialize(exercise, "solution", Path(folder))) as url:
        for round_number in range(runs):
            order = [("checks", without), ("with_probes", exercise)]
            for name, graded in order if round_number % 2 == 0 else order[::-1]:
                started = time.perf_counter()
                report = asyncio.run(grade(graded, url, include_hidden=True))
                times[name].append(time.perf_counter() - started)
                if report.status != "pass":
                    raise RuntimeError(f"{exercise.slug}'s solution did not pass: {report.message}")
                if report.probes is not None:
                    used.append(report.probes.used_s)
                    cut_short.update(report.probes.cut_short)
    median = {name: statistics.median(values) for name, values in times.items()}
    return {"budget_seconds": exercise.probes.budget, "median_seconds": median,
            "probes_used_seconds": statistics.median(used), "cut_short": sorted(cut_short),
            "kinds": sorted(probes),
            "probes_add_seconds": median["with_probes"] - median["checks"],
            "with_probes_over_checks": median["with_probes"] / median["checks"]}


def summarize(result: dict) -> str:
    lines = [f"{'exercise':<16} {'checks (s)':>10} {'+ probes (s)':>12} {'added (s)':>9} "
             f"{'ratio':>6} {'budget (s)':>10} {'used (s)':>8}  cut short"]
    for slug, figures in result["exercises"].items():
        m = figures["median_seconds"]
        lines.append(f"{slug:<16} {m['checks']:>10.1f} {m['with_probes']:>12.1f} "
                     f"{figures['probes_add_seconds']:>9.1f} {figures['with_probes_over_checks']:>6.2f} "
                     f"{figures['budget_seconds']:>10g} {figures['probes_used_seconds']:>8.2f}  "
                     f"{len(figures['cut_short'])} of {len(figures['kinds'])}")
    return "\n".join(lines)
