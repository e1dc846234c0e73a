"""How fast the hub stores submissions: 50 concurrent learners PUT reports of a real size (about
470 KB of JSON, like a real `apilab submit`, sent gzip-compressed as the client sends them) to a
real uvicorn hub, first over a SQLite file (what a cohort runs), then over `:memory:` (the
baseline: the same hub without the disk). Reports submissions per second and p50/p99 latency for
each, and the ratios of file to memory.

    python -m bench hub_throughput [--clients 50] [--requests 500] [--rounds 2] [--checks 40]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
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
REQUESTS = 500  # in all, shared between the clients
CHECKS = 40  # with four exchanges each, a report of about 470 KB, as a real submission
WARMUP_EACH = 2  # per client, not measured: connections opened, code paths warm
ROUNDS = 2  # each database this many times, alternating; the best round counts (as timeit does)


def sample_report(seed: int, checks: int = CHECKS) -> str:
    """A report shaped like a real submission: `checks` checks of four exchanges each, with
    headers and JSON bodies cut at the grader's excerpt size (2,000 characters), varied by
    `seed` so that compression sees realistic text, not one string repeated."""
    rng = random.Random(seed)
    results = []
    for index in range(checks):
        ok = rng.random() < 0.8
        exchanges = [_exchange(rng, index, step) for step in range(4)]
        results.append(CheckResult(
            id=f"check-{index}", title=f"Check {index}: {rng.choice(TITLES)}",
            status="pass" if ok else "fail", points=2 if ok else 0, max_points=2,
            message="" if ok else "expected 201 with a Location header, got 200",
            expected=None if ok else "201", received=None if ok else "200",
            why="RFC 9110 section 15.3.2: a POST that creates answers 201 and says where.",
            hint="Return 201 and set Location to the new resource's URL.",
            duration_ms=rng.uniform(2, 40), exchanges=exchanges))
    return Report(exercise="reading-list", exercise_id=str(uuid.UUID(int=1)),
                  title="Reading list", status="pass" if all(r.passed for r in results) else "fail",
                  score=sum(r.points for r in results), max_score=2 * checks, seed=seed,
                  url="http://127.0.0.1:8001", grader_version="bench",
                  started_at=datetime(2025, 1, 1, tzinfo=UTC), duration_ms=2000.0,
                  hidden_included=True, checks=results).to_json(indent=None)


TITLES = ["POST answers 201 with Location", "GET a missing book is 404", "PATCH keeps other "
          "fields", "the list pages with Link", "DELETE is idempotent", "HEAD has no body"]
WORDS = ["dune", "foundation", "hyperion", "neuromancer", "solaris", "ubik", "kindred", "beloved",
         "ulysses", "emma"]


def _exchange(rng: random.Random, check: int, step: int) -> Exchange:
    items = [{"id": rng.randrange(10**6), "title": " ".join(rng.sample(WORDS, 3)).title(),
              "author": rng.choice(WORDS).title(), "year": rng.randrange(1800, 2025),
              "price": round(rng.uniform(3, 60), 2), "tags": rng.sample(WORDS, 2)}
             for _ in range(12)]
    body = json.dumps({"items": items, "next": f"/books?cursor={rng.getrandbits(64):x}"})
    path = f"/books/{rng.randrange(10**6)}?step={step}&check={check}"
    request = SentRequest(method=rng.choice(["GET", "POST", "PATCH"]),
                          url=f"http://127.0.0.1:8001{path}", body=json.dumps(items[0])[:500],
                          headers=[("accept", "application/json"), ("user-agent", "apilab-grader"),
                                   ("content-type", "application/json"), ("connection", "close"),
                                   ("x-request-id", f"{rng.getrandbits(128):032x}")])
    response = ReceivedResponse(
        status=rng.choice([200, 201, 404]), reason="OK", body=body[:2000],
        body_size=len(body), body_truncated=len(body) > 2000,
        headers=[("content-type", "application/json"), ("content-length", str(len(body))),
                 ("etag", f'"{rng.getrandbits(64):x}"'), ("date", "Wed, 01 Jan 2025 00:00:00 GMT"),
                 ("server", "uvicorn"), ("link", f'<{path}&page=2>; rel="next"'),
                 ("cache-control", "no-store"), ("vary", "Accept")])
    return Exchange(request=request, response=response, elapsed_ms=rng.uniform(1, 30),
                    curl=f"curl -i -X {request.method} 'http://127.0.0.1:8001{path}'")


async def _client(url: str, token: str, bodies: list[bytes], latencies: list[float]) -> None:
    async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=120, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Content-Encoding": "gzip"}) as client:
        for number, body in enumerate(bodies):
            started = time.perf_counter()
            response = await client.put(f"/v1/submissions/{uuid.uuid4()}", content=body)
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise RuntimeError(f"the hub answered {response.status_code}: {response.text}")
            if number >= WARMUP_EACH:
                latencies.append(elapsed)


async def _drive(url: str, tokens: list[str], requests: int,
                 bodies: list[bytes]) -> dict[str, float]:
    each = requests // len(tokens)
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


def run(clients: int = CLIENTS, requests: int = REQUESTS, rounds: int = ROUNDS,
        checks: int = CHECKS) -> dict[str, Any]:
    """Benchmark the file-backed hub against the in-memory baseline; print and return both.

    The load comes from this process, on the same machine as the hub, so on a small machine
    the clients compete with the hub for CPU: compare the two rows, not the absolute numbers.
    """
    tokens = [new_token() for _ in range(clients)]
    users = {f"learner{n:02}": ("learner", token) for n, token in enumerate(tokens)}
    reports = [sample_report(seed, checks) for seed in range(10)]
    bodies = [gzip.compress(f'{{"kind": "submit", "report": {text}}}'.encode(), 6)
              for text in reports]
    results: dict[str, Any] = {
        "clients": clients, "requests": requests, "rounds": rounds,
        "report_kb": round(statistics.mean(len(t.encode()) for t in reports) / 1000, 1),
        "sent_kb": round(statistics.mean(len(b) for b in bodies) / 1000, 1)}
    # the learners' quotas are not what this measures
    limits = {"quota_bytes": 10**12, "quota_hour_bytes": 10**12}
    with tempfile.TemporaryDirectory(prefix="apilab-bench-") as folder:
        for number in range(rounds):
            for label in ("file", "memory"):
                db = Path(folder) / f"hub-{number}.db" if label == "file" else ":memory:"
                with hub_process(db, rate_limit=10**9, users=users, limits=limits) as url:
                    measured = asyncio.run(_drive(url, tokens, requests, bodies))
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
    parser.add_argument("--checks", type=int, default=CHECKS,
                        help=f"checks per report, four exchanges each (default {CHECKS})")


def summarize(result: dict[str, Any]) -> str:
    lines = [f"hub_throughput: {result['clients']} concurrent clients, {result['requests']} "
             f"PUT /v1/submissions of {result['report_kb']} KB reports ({result['sent_kb']} KB "
             f"gzip-compressed), best of {result['rounds']} rounds",
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
