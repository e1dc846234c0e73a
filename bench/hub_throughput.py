"""How fast the hub stores submissions: 50 concurrent learners PUT reports to a real uvicorn
hub, first over a SQLite file (what a cohort runs), then over `:memory:` (the baseline: the
same hub without the disk). Reports submissions per second and p50/p99 latency for each, and
the ratios of file to memory.

    python -m bench hub_throughput [--clients 50] [--requests 2000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from grader.report import CheckResult, Exchange, ReceivedResponse, Report, SentRequest
from hub.auth import new_token
from hub.process import hub_process

CLIENTS = 50
REQUESTS = 2000  # in all, shared between the clients
WARMUP_EACH = 2  # per client, not measured: connections opened, code paths warm
ROUNDS = 2  # each database this many times, alternating; the best round counts (as timeit does)


def sample_report(seed: int, checks: int = 8) -> str:
    """A report of a realistic size: a few checks, each with one exchange (about 5 KB)."""
    results = []
    for index in range(checks):
        ok = (seed + index) % 3 != 0
        request = SentRequest(method="GET", url=f"http://127.0.0.1:8001/books/{index}",
                              headers=[("accept", "application/json")])
        response = ReceivedResponse(status=200 if ok else 404, headers=[
            ("content-type", "application/json")], body='{"id": 1, "title": "Dune"}' * 4)
        results.append(CheckResult(
            id=f"check-{index}", title=f"Check {index}", status="pass" if ok else "fail",
            points=1 if ok else 0, max_points=1, message="" if ok else "expected 200, got 404",
            why="RFC 9110 section 15.3.1", exchanges=[Exchange(
                request=request, response=response, elapsed_ms=2.5,
                curl=f"curl -i http://127.0.0.1:8001/books/{index}")]))
    return Report(exercise="bench-ex", exercise_id=str(uuid.UUID(int=1)), status="fail",
                  score=sum(r.points for r in results), max_score=checks, seed=seed,
                  url="http://127.0.0.1:8001", grader_version="bench",
                  started_at=datetime(2025, 1, 1, tzinfo=UTC), duration_ms=20.0,
                  checks=results).to_json(indent=None)


async def _client(url: str, token: str, bodies: list[str], latencies: list[float]) -> None:
    async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=60, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"}) as client:
        for number, body in enumerate(bodies):
            started = time.perf_counter()
            response = await client.put(f"/v1/submissions/{uuid.uuid4()}", content=body)
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise RuntimeError(f"the hub answered {response.status_code}: {response.text}")
            if number >= WARMUP_EACH:
                latencies.append(elapsed)


async def _drive(url: str, tokens: list[str], requests: int) -> dict[str, float]:
    each = requests // len(tokens)
    bodies = [f'{{"kind": "submit", "report": {sample_report(seed)}}}' for seed in range(10)]
    latencies: list[float] = []
    work = [[bodies[(n + i) % len(bodies)] for i in range(each + WARMUP_EACH)]
            for n in range(len(tokens))]
    started = time.perf_counter()
    await asyncio.gather(*(_client(url, token, mine, latencies)
                           for token, mine in zip(tokens, work, strict=True)))
    wall = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    total = len(tokens) * (each + WARMUP_EACH)
    return {"submissions": total, "seconds": round(wall, 3),
            "submissions_per_s": round(total / wall, 1),
            "p50_ms": round(cuts[49] * 1000, 2), "p99_ms": round(cuts[98] * 1000, 2)}


def run(clients: int = CLIENTS, requests: int = REQUESTS, rounds: int = ROUNDS) -> dict[str, Any]:
    """Benchmark the file-backed hub against the in-memory baseline; print and return both.

    The load comes from this process, on the same machine as the hub, so on a small machine
    the clients compete with the hub for CPU: compare the two rows, not the absolute numbers.
    """
    tokens = [new_token() for _ in range(clients)]
    users = {f"learner{n:02}": ("learner", token) for n, token in enumerate(tokens)}
    results: dict[str, Any] = {"clients": clients, "requests": requests, "rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="apilab-bench-") as folder:
        for number in range(rounds):
            for label in ("file", "memory"):
                db = Path(folder) / f"hub-{number}.db" if label == "file" else ":memory:"
                with hub_process(db, rate_limit=10**9, users=users) as url:
                    measured = asyncio.run(_drive(url, tokens, requests))
                best = results.get(label)
                if best is None or measured["submissions_per_s"] > best["submissions_per_s"]:
                    results[label] = measured
    file, memory = results["file"], results["memory"]
    results["throughput_ratio"] = round(file["submissions_per_s"] / memory["submissions_per_s"], 3)
    results["p99_ratio"] = round(file["p99_ms"] / memory["p99_ms"], 3)
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=CLIENTS,
                        help=f"concurrent clients, one learner each (default {CLIENTS})")
    parser.add_argument("--requests", type=int, default=REQUESTS,
                        help=f"timed submissions in all (default {REQUESTS})")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help=f"rounds per database; the best counts (default {ROUNDS})")


def summarize(result: dict[str, Any]) -> str:
    lines = [f"hub_throughput: {result['clients']} concurrent clients, {result['requests']} "
             f"PUT /v1/submissions, best of {result['rounds']} rounds",
             "", f"  {'database':<10}{'subs/s':>10}{'p50 ms':>10}{'p99 ms':>10}"]
    for label in ("file", "memory"):
        row = result[label]
        lines.append(f"  {label:<10}{row['submissions_per_s']:>10}{row['p50_ms']:>10}"
                     f"{row['p99_ms']:>10}")
    lines.append(f"  file/memory: throughput {result['throughput_ratio']}x, "
                 f"p99 latency {result['p99_ratio']}x")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.hub_throughput")
    add_arguments(parser)
    print(summarize(run(**vars(parser.parse_args()))))
