"""How much the grader, and `apilab check` as a whole, add to the HTTP exchanges they make.

Method: grade the exercise's reference solution once (visible checks, as `apilab check` does) to
record the exact requests. Then, for N rounds after warm-ups, each contender gets a freshly
started server of its own (started together; start-up is not timed), in an order that rotates
from round to round:

- `grader`: `grade(exercise, url, seed)` in this process;
- `raw`: the same requests as bytes over raw sockets, one connection each, each read until the
  server closes it: the physical baseline, what the exchanges cost with no client at all;
- `httpx`: the same requests through a bare `httpx.AsyncClient`, a new connection each;
- `check`: `apilab check` as a whole process (interpreter, imports, course, grading, progress
  store, report), and `bare`, an interpreter that does nothing, started the same way.

Against one long-lived server the grader's work grows from run to run (walks over the list walk
more pages) while a replay stays fixed; a fresh server also gives each replay the ids the first
run saw. Ratios are taken per round: grader/raw, and (check − bare)/raw, the process's cost
beyond starting an interpreter. `replay_status_mismatches` counts replayed answers whose status
differed from the recording. `--profile` prints where one grading run spends its time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from apilab.catalog.models import Exercise
from bench.table import Figure
from grader.report import Report
from grader.runner import grade

DEFAULT_SEED = 20240601
GOAL_GRADER = 2.0  # grade() at most twice the raw exchanges
GOAL_CHECK = 2.5  # `apilab check` at most 2.5 times the raw exchanges, plus an interpreter's start
APILAB = Path(sys.executable).parent / "apilab"


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, as sent
    headers: list[tuple[str, str]]
    content: bytes
    status: int | None  # what the first run received, to tell whether the replay stayed faithful


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("exercise", nargs="?", default=None,
                        help="an exercise folder, or a slug or number from the course "
                             "(default: exercise 1 of the course)")
    parser.add_argument("--runs", type=int, default=9, help="timed rounds (default 9)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the grader's seed")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one grading run and keep its top lines")


def run(exercise: str | None = None, runs: int = 9, warmup: int = 2, seed: int = DEFAULT_SEED,
        profile: bool = False) -> dict:
    """Measure grader, replays and the `apilab check` process against the reference solution."""
    chosen = load(exercise)
    load_before = [round(load, 2) for load in os.getloadavg()]
    result = asyncio.run(_measure(chosen, runs, warmup, seed, profile))
    return {"exercise": chosen.slug, "seed": seed, "runs": runs, "warmup": warmup,
            "load_average_before": load_before, **result}


def load(name: str | None) -> Exercise:
    """An exercise from a folder path, or by slug or number from the course (default: the first)."""
    from apilab.catalog.loader import load_course, load_exercise
    from apilab.paths import course_root

    if name and (Path(name) / "exercise.toml").is_file():
        return load_exercise(Path(name).resolve())
    course = load_course(course_root())
    return course.exercise(name) if name else course.ordered_exercises()[0]


async def _measure(exercise: Exercise, runs: int, warmup: int, seed: int, profile: bool) -> dict:
    from apilab.app_servers import serve_app, serve_apps

    with serve_app(exercise.solution_dir) as url:
        first = await grade(exercise, url, seed=seed)
    requests, inexact = replayable(first)
    top_lines = None
    if profile:
        with serve_app(exercise.solution_dir) as url:
            top_lines = await _profiled(grade(exercise, url, seed=seed))
    times: dict[str, list[float]] = {name: [] for name in ("grader", "raw", "httpx", "check", "bare")}
    mismatches = 0
    with tempfile.TemporaryDirectory(prefix="apilab-bench-home-") as home:
        command = [str(APILAB), "check", exercise.slug, "--seed", str(seed)]
        # The child's progress store, not the person's; and bytecode cached as a learner's is
        # (with PYTHONDONTWRITEBYTECODE every start would compile apilab's modules again).
        env = {**os.environ, "APILAB_HOME": home}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for index in range(warmup + runs):
            with serve_apps([exercise.solution_dir] * 4) as urls:
                contenders: dict[str, Callable[[str], Awaitable[Any]]] = {
                    "grader": lambda url: grade(exercise, url, seed=seed),
                    "raw": lambda url: asyncio.to_thread(raw_replay, requests, url),
                    "httpx": lambda url: httpx_replay(requests, url),
                    "check": lambda url: asyncio.to_thread(_process, [*command, "--url", url], env),
                }
                names = list(contenders)
                order = names[index % 4:] + names[:index % 4]  # rotate, so drift hits all alike
                for name, url in zip(order, urls, strict=True):
                    elapsed, outcome = await _timed(contenders[name](url))
                    if index >= warmup:
                        times[name].append(elapsed)
                        mismatches += outcome if name in ("raw", "httpx") else 0
            bare, _ = await _timed(asyncio.to_thread(_process, [sys.executable, "-c", "pass"], env))
            if index >= warmup:
                times["bare"].append(bare)
    grader_ratios = [g / r for g, r in zip(times["grader"], times["raw"], strict=True)]
    check_ratios = [(c - b) / r for c, b, r in
                    zip(times["check"], times["bare"], times["raw"], strict=True)]
    return {
        "reference_status": first.status,
        "reference_score": f"{first.score}/{first.max_score}",
        "checks": len(first.checks),
        "requests_per_run": len(requests),
        "requests_with_cut_bodies": inexact,
        "replay_status_mismatches": mismatches,
        **{f"{name}_ms": spread([s * 1000 for s in values]) for name, values in times.items()},
        "grader_over_raw": spread(grader_ratios),
        "httpx_over_raw": spread([h / r for h, r in zip(times["httpx"], times["raw"], strict=True)]),
        "check_beyond_bare_over_raw": spread(check_ratios),
        "profile": top_lines,
    }


def replayable(report: Report) -> tuple[list[Request], int]:
    """The report's exchanges as requests to send again, and how many had their body cut."""
    requests, inexact = [], 0
    for check in report.checks:
        for exchange in check.exchanges:
            sent = exchange.request
            inexact += sent.body_truncated
            parts = urlsplit(sent.url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            status = exchange.response.status if exchange.response else None
            requests.append(Request(sent.method, target, list(sent.headers),
                                    sent.body.encode("utf-8"), status))
    return requests, inexact


def raw_replay(requests: list[Request], base: str) -> int:
    """Send each request's bytes on a socket of its own and read until the server closes it.
    Returns how many answers had another status than the recording."""
    parts = urlsplit(base)
    address = (parts.hostname, parts.port)
    differ = 0
    for request in requests:
        fields = [(name, parts.netloc if name.lower() == "host" else value)
                  for name, value in request.headers if name.lower() != "connection"]
        head = "".join(f"{name}: {value}\r\n" for name, value in [*fields, ("Connection", "close")])
        data = f"{request.method} {request.target} HTTP/1.1\r\n{head}\r\n".encode("latin-1")
        with socket.create_connection(address) as sock:
            sock.sendall(data + request.content)
            answer = bytearray()
            while chunk := sock.recv(65536):
                answer += chunk
        differ += answer[9:12] != str(request.status).encode()
    return differ


async def httpx_replay(requests: list[Request], base: str) -> int:
    """The same requests through a bare httpx client, a new connection each."""
    import httpx

    differ = 0
    async with httpx.AsyncClient(
        base_url=base, timeout=httpx.Timeout(5.0, connect=3.0), follow_redirects=False,
        trust_env=False, limits=httpx.Limits(max_keepalive_connections=0),
    ) as client:
        for request in requests:
            headers = [(k, v) for k, v in request.headers if k.lower() not in ("host", "content-length")]
            response = await client.request(request.method, request.target, headers=headers,
                                            content=request.content or None)
            await response.aread()
            differ += response.status_code != request.status
    return differ


def _process(command: list[str], env: dict[str, str] | None = None) -> int:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}: {done.stderr}")
    return 0


async def _profiled(work: Awaitable[Any], lines: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    await work
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


async def _timed(awaitable: Awaitable[Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = await awaitable
    return time.perf_counter() - started, value


def spread(values: list[float]) -> dict:
    """Median, min, max and interquartile range of `values`."""
    q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
    return {name: round(value, 3) for name, value in {
        "median": statistics.median(values), "min": min(values), "max": max(values),
        "q1": q1, "q3": q3}.items()}


def figures(result: dict) -> list[Figure]:
    """The headline figures (see `bench.table`): grade() and `apilab check` against the raw
    replay of the same exchanges, and the httpx replay for context."""
    raw, bare = result["raw_ms"]["median"], result["bare_ms"]["median"]
    requests = f"{result['requests_per_run']} requests of {result['exercise']}"
    return [
        Figure(f"grade(), {requests}", result["grader_ms"]["median"], "raw-socket replay", raw,
               result["grader_over_raw"]["median"], GOAL_GRADER),
        Figure(f"apilab check as a process, minus a bare interpreter ({bare:.0f} ms)",
               result["check_ms"]["median"] - bare, "raw-socket replay", raw,
               result["check_beyond_bare_over_raw"]["median"], GOAL_CHECK),
        Figure(f"a bare httpx client, {requests}", result["httpx_ms"]["median"],
               "raw-socket replay", raw, result["httpx_over_raw"]["median"]),
    ]


def summarize(result: dict) -> str:
    lines = [
        f"grader_overhead: {result['exercise']} (reference: {result['reference_status']}, "
        f"{result['reference_score']}), {result['requests_per_run']} requests per run, "
        f"{result['runs']} rounds after {result['warmup']} warm-ups, seed {result['seed']}, "
        f"load average {result['load_average_before'][0]:g} before",
        "",
        f"{'':<22}{'median':>10}{'min':>10}{'max':>10}{'IQR':>20}",
        *(_row(f"{name} (ms)", result[f"{name}_ms"], "{:.1f}")
          for name in ("grader", "raw", "httpx", "check", "bare")),
        _row("grader/raw", result["grader_over_raw"], "{:.2f}x"),
        _row("httpx/raw", result["httpx_over_raw"], "{:.2f}x"),
        _row("(check-bare)/raw", result["check_beyond_bare_over_raw"], "{:.2f}x"),
    ]
    if result["replay_status_mismatches"]:
        lines.append(f"note: {result['replay_status_mismatches']} replayed answers had another "
                     "status than the recording (over all timed rounds)")
    if result["requests_with_cut_bodies"]:
        lines.append(f"note: {result['requests_with_cut_bodies']} request bodies were cut in the "
                     "report, so the replays send less than the grader did")
    if result.get("profile"):
        lines += ["", "where one grading run spends its time (cProfile, by own time):",
                  result["profile"]]
    return "\n".join(lines)


def _row(label: str, stats: dict, fmt: str) -> str:
    iqr = f"{fmt.format(stats['q1'])}–{fmt.format(stats['q3'])}"
    cells = [fmt.format(stats[key]) for key in ("median", "min", "max")]
    return f"{label:<22}" + "".join(f"{cell:>10}" for cell in cells) + f"{iqr:>20}"
