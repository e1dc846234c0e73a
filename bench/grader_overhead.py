"""How much the grader, and `apilab check` as a whole, add to the HTTP exchanges they make.

Method: for N rounds after warm-ups, each contender gets a freshly started server of its own
(started together; start-up is not timed). `grader` goes first: `grade(exercise, url, seed)` in
this process, recording every request it sends, as the bytes it sends them. The report keeps
only some of them (a contract probe keeps the requests of its failure, not the hundreds it
explored with), so the recording is taken on the wire, not from the report. Then, in an order
that rotates from round to round:

- `raw`: the same requests as bytes over raw sockets, one connection each (a request the grader
  sent on a kept-alive connection asks to close here), each read until the server closes it:
  the physical baseline, what the exchanges cost with no client at all;
- `wire`: the same requests through the grader's own `Wire` (its bounds, parsing and records),
  with no check judging them: what the grader's HTTP costs, apart from its checks and probes;
- `httpx`: the same requests through a bare `httpx.AsyncClient`, a new connection each;
- `check`: `apilab check` as a whole process (interpreter, imports, course, grading, progress
  store, report), with nothing ready for it: a first check, or one without `apilab serve`;
- `ready`: `apilab check` beside `apilab serve`, which keeps a ready process waiting for it
  (`apilab.ready`: apilab and Hypothesis loaded ahead); the command hands itself to that process.
  The ready process is made before the round, as `apilab serve` makes it while the learner edits;
- `bare`: an interpreter that does nothing, started the same way.

A fresh server gives each replay the ids the grader saw. The grader's contract probes explore
for a time budget, so two runs may send a different number of requests: each round replays its
own grader run's. Ratios are taken per round: grader/raw, wire/raw, and (check − bare)/raw and
(ready − bare)/raw, the command's cost beyond starting an interpreter.
`replay_status_mismatches` counts replayed answers whose status differed from what the grader
received. `--profile` prints where one grading run spends
its time: the event loop's thread, where Hypothesis draws the probes' examples, and the worker
threads where it shrinks a failure found (each shows the other's work as waiting).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from apilab.catalog.models import Exercise
from bench.table import Figure
from grader.runner import grade
from grader.wire import Prepared, Wire

DEFAULT_SEED = 20240601
GOAL_GRADER = 2.0  # grade() at most twice the raw exchanges
GOAL_CHECK = 2.5  # `apilab check` at most 2.5 times the raw exchanges, plus an interpreter's start
APILAB = Path(sys.executable).parent / "apilab"
RUNS = 5  # with the app and import benchmarks, about three minutes on a quiet machine
CONTENDERS = ("grader", "raw", "wire", "httpx", "check", "ready", "bare")


@dataclass(frozen=True)
class Request:
    data: bytes  # as the grader sent it, asking to close the connection afterwards
    status: int | None  # what the grader received, to tell whether the replay stayed faithful

    def to(self, netloc: str) -> bytes:
        """The request for a server at `netloc`: its Host header names that server."""
        head, _, content = self.data.partition(b"\r\n\r\n")
        lines = [b"Host: " + netloc.encode() if line.lower().startswith(b"host:") else line
                 for line in head.split(b"\r\n")]
        return b"\r\n".join(lines) + b"\r\n\r\n" + content

    @property
    def parts(self) -> tuple[str, str, list[tuple[str, str]], bytes]:
        """Method, target, header fields and content, for an HTTP client."""
        head, _, content = self.data.partition(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        fields = [(name, value.strip()) for name, _, value in (line.partition(":") for line in lines)]
        return method, target, fields, content


@contextlib.contextmanager
def recording() -> Iterator[list[Prepared]]:
    """Every request the grader prepares while the block runs, in order (with its record, which
    gets the response)."""
    prepared: list[Prepared] = []
    prepare = Wire.prepare

    def recorded(self: Wire, *args: Any, **kwargs: Any) -> Prepared:
        request = prepare(self, *args, **kwargs)
        prepared.append(request)
        return request

    Wire.prepare = recorded  # type: ignore[method-assign]
    try:
        yield prepared
    finally:
        Wire.prepare = prepare  # type: ignore[method-assign]


def replayable(prepared: list[Prepared]) -> list[Request]:
    """What the grader sent, as requests to send again, each asking to close its connection."""
    requests = []
    for request in prepared:
        head, _, content = request.data.partition(b"\r\n\r\n")
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        data = b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + content
        response = request.record.response
        requests.append(Request(data, response.status if response else None))
    return requests


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("exercise", nargs="?", default=None,
                        help="an exercise folder, or a slug or number from the course "
                             "(default: exercise 1 of the course)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed rounds (default {RUNS})")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the grader's seed")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one grading run and keep its top lines")


def run(exercise: str | None = None, runs: int = RUNS, warmup: int = 1, seed: int = DEFAULT_SEED,
        profile: bool = False) -> dict:
    """Measure grader, replays and the `apilab check` process against the reference solution."""
    chosen = load(exercise)
    load_before = [round(load, 2) for load in os.getloadavg()]
    result = asyncio.run(_measure(chosen, runs, warmup, seed, profile))
    return {"exercise": chosen.slug, "seed": seed, "runs": runs, "warmup": warmup,
            "load_average_before": load_before,
            "load_average_after": [round(load, 2) for load in os.getloadavg()], **result}


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

    top_lines = None
    if profile:
        with serve_app(exercise.solution_dir) as url:
            top_lines = await _profiled(grade(exercise, url, seed=seed))
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    sent: list[int] = []
    mismatches = 0
    first = None
    with (tempfile.TemporaryDirectory(prefix="apilab-bench-home-") as home,
          tempfile.TemporaryDirectory(prefix="apilab-bench-ready-") as ready_home):
        command = [str(APILAB), "check", exercise.slug, "--seed", str(seed)]
        # The child's progress store, not the person's; and bytecode cached as a learner's is
        # (with PYTHONDONTWRITEBYTECODE every start would compile apilab's modules again).
        env = {**os.environ, "APILAB_HOME": home}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        ready_env = {**env, "APILAB_HOME": ready_home}
        for index in range(warmup + runs):
            waiting = _ready_process(Path(ready_home), ready_env)
            with serve_apps([exercise.solution_dir] * 6) as urls:
                with recording() as prepared:
                    elapsed, report = await _timed(grade(exercise, urls[0], seed=seed))
                first = first or report
                requests = replayable(prepared)
                contenders: dict[str, Callable[[str], Awaitable[Any]]] = {
                    "raw": lambda url, r=requests: asyncio.to_thread(raw_replay, r, url),
                    "wire": lambda url, r=requests: wire_replay(r, url),
                    "httpx": lambda url, r=requests: httpx_replay(r, url),
                    "check": lambda url: asyncio.to_thread(_process, [*command, "--url", url], env),
                    "ready": lambda url: asyncio.to_thread(_process, [*command, "--url", url],
                                                           ready_env),
                }
                names = list(contenders)
                turn = index % len(names)
                order = names[turn:] + names[:turn]  # rotate, so drift hits all alike
                outcomes = {"grader": (elapsed, 0)}
                for name, url in zip(order, urls[1:], strict=True):
                    outcomes[name] = await _timed(contenders[name](url))
            waiting.wait(timeout=30)  # it ran the `ready` contender's command, and ended
            bare, _ = await _timed(asyncio.to_thread(_process, [sys.executable, "-c", "pass"], env))
            if index >= warmup:
                for name, (seconds, differ) in outcomes.items():
                    times[name].append(seconds)
                    mismatches += differ  # replays count them; the grader and check give 0
                times["bare"].append(bare)
                sent.append(len(requests))
    assert first is not None
    grader_ratios = [g / r for g, r in zip(times["grader"], times["raw"], strict=True)]
    check_ratios = [(c - b) / r for c, b, r in
                    zip(times["check"], times["bare"], times["raw"], strict=True)]
    ready_ratios = [(c - b) / r for c, b, r in
                    zip(times["ready"], times["bare"], times["raw"], strict=True)]
    return {
        "reference_status": first.status,
        "reference_score": f"{first.score}/{first.max_score}",
        "checks": len(first.checks),
        "requests_per_run": round(statistics.median(sent)),
        "requests_per_run_range": [min(sent), max(sent)],
        "requests_in_report": sum(len(check.exchanges) for check in first.checks),
        "replay_status_mismatches": mismatches,
        **{f"{name}_ms": spread([s * 1000 for s in values]) for name, values in times.items()},
        "grader_over_raw": spread(grader_ratios),
        "wire_over_raw": spread([w / r for w, r in zip(times["wire"], times["raw"], strict=True)]),
        "httpx_over_raw": spread([h / r for h, r in zip(times["httpx"], times["raw"], strict=True)]),
        "check_beyond_bare_over_raw": spread(check_ratios),
        "ready_beyond_bare_over_raw": spread(ready_ratios),
        "profile": top_lines,
    }


def raw_replay(requests: list[Request], base: str) -> int:
    """Send each request's bytes on a socket of its own and read until the server closes it.
    Returns how many answers had another status than the recording."""
    parts = urlsplit(base)
    address = (parts.hostname, parts.port)
    differ = 0
    for request in requests:
        with socket.create_connection(address) as sock:
            sock.sendall(request.to(parts.netloc))
            answer = bytearray()
            while chunk := sock.recv(65536):
                answer += chunk
        differ += answer[9:12] != str(request.status).encode()
    return differ


async def wire_replay(requests: list[Request], base: str) -> int:
    """The same requests through the grader's `Wire`, one connection each, as the grader sent
    them: their own header fields, but Host, which the wire gives for this server."""
    from grader.wire import Wire, WireError

    differ = 0
    async with Wire(base) as wire:
        for request in requests:
            method, target, fields, content = request.parts
            headers = {name: value for name, value in fields if name.lower() != "host"}
            try:
                received = await wire.send(method, target, headers=headers,
                                           content=content or None, strict_framing=False)
            except WireError:
                differ += 1
                continue
            differ += received.status != request.status
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
            method, target, fields, content = request.parts
            headers = [(k, v) for k, v in fields if k.lower() not in ("host", "content-length")]
            response = await client.request(method, target, headers=headers, content=content or None)
            await response.aread()
            differ += response.status_code != request.status
    return differ


def _ready_process(home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A ready process waiting in `home`, as `apilab serve` keeps one (see `apilab.ready`)."""
    from apilab.ready import folder

    socket_path = folder(home) / "bench.sock"
    process = subprocess.Popen([sys.executable, "-m", "apilab.ready", str(socket_path)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not socket_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the ready process did not start: run python -m apilab.ready PATH")
        time.sleep(0.02)
    return process


def _process(command: list[str], env: dict[str, str] | None = None) -> int:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}: {done.stderr}")
    return 0


async def _profiled(work: Awaitable[Any], lines: int = 25) -> str:
    """Where `work` spends its time, by own time: the event loop's thread (where Hypothesis
    draws the probes' examples), then the worker threads where it shrinks a failure found (their
    searches added up), each profiled where it runs."""
    from grader.contract import explore

    loop, searches = cProfile.Profile(), []
    search = explore._hypothesis_test

    def profiled_search(*args: Any, **kwargs: Any) -> Callable[[], None]:
        run = search(*args, **kwargs)

        def profiled() -> None:
            if threading.current_thread() is threading.main_thread():
                run()  # drawing, in the event loop's thread: its own profile has it
                return
            profiler = cProfile.Profile()  # one each: a search may run inside another's probe
            searches.append(profiler)
            profiler.runcall(run)
        return profiled

    explore._hypothesis_test = profiled_search
    try:
        loop.enable()
        await work
        loop.disable()
    finally:
        explore._hypothesis_test = search
    out = io.StringIO()
    out.write("--- the event loop's thread\n")
    pstats.Stats(loop, stream=out).sort_stats("tottime").print_stats(lines)
    if searches:
        out.write(f"--- the probes' Hypothesis threads, shrinking ({len(searches)} searches)\n")
        pstats.Stats(*searches, stream=out).sort_stats("tottime").print_stats(lines)
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
        Figure(f"apilab check beside apilab serve, minus a bare interpreter ({bare:.0f} ms)",
               result["ready_ms"]["median"] - bare, "raw-socket replay", raw,
               result["ready_beyond_bare_over_raw"]["median"], GOAL_CHECK),
        Figure("apilab check with nothing ready (a first check, no apilab serve), minus a bare "
               "interpreter", result["check_ms"]["median"] - bare, "raw-socket replay", raw,
               result["check_beyond_bare_over_raw"]["median"]),
        Figure(f"the grader's wire alone, no checks, {requests}", result["wire_ms"]["median"],
               "raw-socket replay", raw, result["wire_over_raw"]["median"]),
        Figure(f"a bare httpx client, {requests}", result["httpx_ms"]["median"],
               "raw-socket replay", raw, result["httpx_over_raw"]["median"]),
    ]


def summarize(result: dict) -> str:
    lines = [
        f"grader_overhead: {result['exercise']} (reference: {result['reference_status']}, "
        f"{result['reference_score']}), {result['requests_per_run']} requests per run "
        f"({result['requests_in_report']} of them kept in the report), "
        f"{result['runs']} rounds after {result['warmup']} warm-ups, seed {result['seed']}, "
        f"load average {result['load_average_before'][0]:g} before, "
        f"{result['load_average_after'][0]:g} after",
        "",
        f"{'':<22}{'median':>10}{'min':>10}{'max':>10}{'IQR':>20}",
        *(_row(f"{name} (ms)", result[f"{name}_ms"], "{:.1f}")
          for name in CONTENDERS),
        _row("grader/raw", result["grader_over_raw"], "{:.2f}x"),
        _row("wire/raw", result["wire_over_raw"], "{:.2f}x"),
        _row("httpx/raw", result["httpx_over_raw"], "{:.2f}x"),
        _row("(check-bare)/raw", result["check_beyond_bare_over_raw"], "{:.2f}x"),
        _row("(ready-bare)/raw", result["ready_beyond_bare_over_raw"], "{:.2f}x"),
    ]
    if result["replay_status_mismatches"]:
        lines.append(f"note: {result['replay_status_mismatches']} replayed answers had another "
                     "status than the recording (over all timed rounds)")
    low, high = result["requests_per_run_range"]
    if low != high:
        lines.append(f"note: the grader sent {low} to {high} requests a run (its probes explore for "
                     "a time budget); each round replays its own grader run's")
    if result.get("profile"):
        lines += ["", "where one grading run spends its time (cProfile, by own time):",
                  result["profile"]]
    return "\n".join(lines)


def _row(label: str, stats: dict, fmt: str) -> str:
    iqr = f"{fmt.format(stats['q1'])}–{fmt.format(stats['q3'])}"
    cells = [fmt.format(stats[key]) for key in ("median", "min", "max")]
    return f"{label:<22}" + "".join(f"{cell:>10}" for cell in cells) + f"{iqr:>20}"
