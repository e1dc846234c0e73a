"""What HTTP caching saves on the sandbox's caching routes, as ratios against plain requests.

Method: start a sandbox (a separate process, on a free loopback port), then, in rotating order,
N times each (after warm-ups):
- the slow bestseller report through a plain httpx client (the baseline), and through a hishel
  cache (RFC 9111, private) that already holds a fresh copy;
- a catalogue book fetched in full, and revalidated with If-None-Match (a 304).
Reported: medians, the cached/plain time ratio for the report, and the 304/200 ratios of time
and of bytes on the wire (headers and body) for the book. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable

import hishel
import httpx
from hishel.httpx import CacheClient

from apilab.sandbox_process import SandboxProcess

REPORT = "/caching/reports/bestsellers"
BOOK = "/caching/books/7"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")


def run(runs: int = 10, warmup: int = 2) -> dict:
    with SandboxProcess() as sandbox:
        plain = httpx.Client(base_url=sandbox.url, timeout=30, trust_env=False)
        storage = hishel.SqliteStorage(connection=sqlite3.connect(":memory:", check_same_thread=False))
        cached = CacheClient(base_url=sandbox.url, timeout=30, trust_env=False, storage=storage,
                             rfc=hishel.CacheOptions(shared=False))
        etag = plain.get(BOOK).headers["ETag"]
        cases: dict[str, Callable[[], httpx.Response]] = {
            "report_plain": lambda: plain.get(REPORT),
            "report_cached": lambda: cached.get(REPORT),
            "book_full": lambda: plain.get(BOOK),
            "book_304": lambda: plain.get(BOOK, headers={"If-None-Match": etag}),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        wire_bytes: dict[str, int] = {}
        for round_number in range(warmup + runs):
            names = list(cases)
            for name in names[round_number % len(names):] + names[:round_number % len(names)]:
                started = time.perf_counter()
                response = cases[name]()
                elapsed = time.perf_counter() - started
                if round_number >= warmup:
                    times[name].append(elapsed)
                wire_bytes[name] = _wire_size(response)
        from_cache = cached.get(REPORT).extensions["caching"]["from_cache"]
        for client in (plain, cached):
            client.close()
    median = {name: statistics.median(values) for name, values in times.items()}
    return {
        "runs": runs,
        "median_seconds": median,
        "report_cached_over_plain": median["report_cached"] / median["report_plain"],
        "book_304_over_200_time": median["book_304"] / median["book_full"],
        "book_304_over_200_bytes": wire_bytes["book_304"] / wire_bytes["book_full"],
        "wire_bytes": wire_bytes,
        "report_served_from_cache": from_cache,
    }


def _wire_size(response: httpx.Response) -> int:
    """Status line, headers and body as they travelled (approximately: HTTP/1.1 framing)."""
    head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in response.headers.multi_items()) + "\r\n"
    return len(head.encode("latin-1")) + int(response.headers.get("content-length", "0"))


def summarize(result: dict) -> str:
    m = result["median_seconds"]
    return "\n".join([
        f"report, plain:          {m['report_plain'] * 1000:8.1f} ms (baseline)",
        f"report, from the cache: {m['report_cached'] * 1000:8.1f} ms "
        f"({result['report_cached_over_plain']:.4f} x baseline)",
        f"book, 200:              {m['book_full'] * 1000:8.1f} ms, {result['wire_bytes']['book_full']} bytes",
        f"book, 304:              {m['book_304'] * 1000:8.1f} ms, {result['wire_bytes']['book_304']} bytes "
        f"({result['book_304_over_200_time']:.2f} x time, {result['book_304_over_200_bytes']:.2f} x bytes)",
    ])
