"""How much time the grader adds on top of the HTTP requests it sends.

Method: grade the exercise's reference solution once to learn the exact sequence of requests and
their statuses. Then, N times (after warm-ups), time one `grade(...)` and two replays of that same
sequence through a bare `httpx.AsyncClient` (a fresh client per run, as the grader opens a fresh
one), in rotating order: one opening a new connection per request, one with keep-alive. The
grader currently opens a connection per request (see `grader.wire`), so grader/replay without
keep-alive is its own overhead, and the keep-alive replay shows what that choice costs. The
figures are ratios per run: their median and spread.

Every timed run gets a freshly started server (uvicorn, a separate process; startup is not timed).
Against one long-lived server the grader's work grows from run to run (a check that walks every
page of a collection walks more pages as earlier runs add resources) while a replay stays fixed,
which inflates the ratio tenfold; a fresh server also gives the replay the same ids the first run
saw. `replay_status_mismatches` counts replayed answers whose status differed from the recording.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from apilab.catalog.models import Exercise
from grader.report import Report
from grader.runner import grade

T = TypeVar("T")
DEFAULT_SEED = 20240601
# Recomputed by httpx for the replayed request; copying them could contradict the body.
UNREPLAYED_HEADERS = {"host", "content-length"}


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: list[tuple[str, str]]
    content: bytes | None
    status: int | None  # what the first run received, to tell whether the replay stayed faithful


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("exercise", nargs="?", default=None,
                        help="an exercise folder, or a slug or number from the course "
                             "(default: exercise 1 of the course)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the grader's seed")


def run(exercise: str | None = None, runs: int = 15, warmup: int = 2,
        seed: int = DEFAULT_SEED) -> dict:
    """Measure grader and replay wall times against the exercise's reference solution."""
    chosen = load(exercise)
    result = asyncio.run(_measure(chosen, runs, warmup, seed))
    return {"exercise": chosen.slug, "seed": seed, "runs": runs, "warmup": warmup, **result}


def load(name: str | None) -> Exercise:
    """An exercise from a folder path, or by slug or number from the course (default: the first)."""
    from apilab.catalog.loader import load_course, load_exercise
    from apilab.paths import course_root

    if name and (Path(name) / "exercise.toml").is_file():
        return load_exercise(Path(name).resolve())
    course = load_course(course_root())
    return course.exercise(name) if name else course.ordered_exercises()[0]


async def _measure(exercise: Exercise, runs: int, warmup: int, seed: int) -> dict:
    from apilab.app_servers import serve_app, serve_apps

    with serve_app(exercise.solution_dir) as url:
        first = await grade(exercise, url, seed=seed)
    requests, inexact = replayable(first)
    times: dict[str, list[float]] = {"grader": [], "replay": [], "keepalive": []}
    mismatches = 0
    for index in range(warmup + runs):
        # Fresh servers for each round, started together: one per contender.
        with serve_apps([exercise.solution_dir] * 3) as urls:
            contenders = {
                "grader": lambda url: grade(exercise, url, seed=seed),
                "replay": lambda url: replay(requests, first.url, url, keep_alive=False),
                "keepalive": lambda url: replay(requests, first.url, url, keep_alive=True),
            }
            names = list(contenders)
            order = names[index % 3:] + names[:index % 3]  # rotate, so drift hits all alike
            for name, url in zip(order, urls, strict=True):
                elapsed, outcome = await _timed(contenders[name](url))
                if index >= warmup:
                    times[name].append(elapsed)
                    mismatches += outcome if isinstance(outcome, int) else 0
    grader_s, replay_s, keepalive_s = times["grader"], times["replay"], times["keepalive"]
    ratios = [g / r for g, r in zip(grader_s, replay_s, strict=True)]
    keepalive_ratios = [g / r for g, r in zip(grader_s, keepalive_s, strict=True)]
    return {
        "reference_status": first.status,
        "reference_score": f"{first.score}/{first.max_score}",
        "checks": len(first.checks),
        "requests_per_run": len(requests),
        "requests_with_cut_bodies": inexact,
        "replay_status_mismatches": mismatches,
        "grader_ms": [round(s * 1000, 2) for s in grader_s],
        "replay_ms": [round(s * 1000, 2) for s in replay_s],
        "replay_keepalive_ms": [round(s * 1000, 2) for s in keepalive_s],
        "ratio": spread(ratios),
        "ratio_vs_keepalive": spread(keepalive_ratios),
        "grader_ms_stats": spread([s * 1000 for s in grader_s]),
        "replay_ms_stats": spread([s * 1000 for s in replay_s]),
        "replay_keepalive_ms_stats": spread([s * 1000 for s in keepalive_s]),
        "overhead_ms_per_request": round(statistics.median(
            (g - r) * 1000 / max(1, len(requests)) for g, r in zip(grader_s, replay_s, strict=True)
        ), 3),
    }


def replayable(report: Report) -> tuple[list[Request], int]:
    """The report's exchanges as requests to send again, and how many had their body cut."""
    requests, inexact = [], 0
    for check in report.checks:
        for exchange in check.exchanges:
            sent = exchange.request
            inexact += sent.body_truncated
            headers = [(k, v) for k, v in sent.headers if k.lower() not in UNREPLAYED_HEADERS]
            content = sent.body.encode("utf-8") if sent.body else None
            status = exchange.response.status if exchange.response else None
            requests.append(Request(sent.method, sent.url, headers, content, status))
    return requests, inexact


async def replay(requests: list[Request], recorded_base: str, base: str, *,
                 keep_alive: bool) -> int:
    """Send `requests` in order to `base` with a bare client, keeping connections open or not.

    Returns how many answers had another status than the recording.
    """
    differ = 0
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(5.0, connect=3.0), follow_redirects=False, trust_env=False,
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=2 if keep_alive else 0),
    ) as client:
        for request in requests:
            url = base + request.url.removeprefix(recorded_base)
            response = await client.request(request.method, url, headers=request.headers,
                                            content=request.content)
            await response.aread()
            differ += response.status_code != request.status
    return differ


async def _timed(awaitable: Awaitable[T]) -> tuple[float, T]:
    started = time.perf_counter()
    value = await awaitable
    return time.perf_counter() - started, value


def spread(values: list[float]) -> dict:
    """Median, min, max and interquartile range of `values`."""
    q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
    return {name: round(value, 3) for name, value in {
        "median": statistics.median(values), "min": min(values), "max": max(values),
        "q1": q1, "q3": q3}.items()}


def summarize(result: dict) -> str:
    g, r = result["grader_ms_stats"], result["replay_ms_stats"]
    k = result["replay_keepalive_ms_stats"]
    lines = [
        f"grader_overhead: {result['exercise']} (reference solution: {result['reference_status']}, "
        f"{result['reference_score']}), {result['requests_per_run']} requests per run, "
        f"{result['runs']} runs after {result['warmup']} warm-ups, seed {result['seed']}",
        "",
        f"{'':<16}{'median':>10}{'min':>10}{'max':>10}{'IQR':>20}",
        _row("grader (ms)", g, "{:.1f}"),
        _row("replay (ms)", r, "{:.1f}"),
        _row("keep-alive (ms)", k, "{:.1f}"),
        _row("grader/replay", result["ratio"], "{:.2f}x"),
        _row("grader/k-a", result["ratio_vs_keepalive"], "{:.2f}x"),
        "",
        "replay: the same requests, a new connection each (as the grader sends them);",
        "keep-alive: the same requests over kept-alive connections.",
        f"grader overhead per request (median, vs replay): "
        f"{result['overhead_ms_per_request']:.2f} ms",
    ]
    if result["replay_status_mismatches"]:
        lines.append(f"note: {result['replay_status_mismatches']} replayed answers had another "
                     "status than the recording (over all timed runs)")
    if result["requests_with_cut_bodies"]:
        lines.append(f"note: {result['requests_with_cut_bodies']} request bodies were cut in the "
                     "report, so the replay sends less than the grader did")
    return "\n".join(lines)


def _row(label: str, stats: dict, fmt: str) -> str:
    iqr = f"{fmt.format(stats['q1'])}–{fmt.format(stats['q3'])}"
    cells = [fmt.format(stats[key]) for key in ("median", "min", "max")]
    return f"{label:<16}" + "".join(f"{cell:>10}" for cell in cells) + f"{iqr:>20}"
