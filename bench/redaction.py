"""What hiding secrets adds to recording an exchange.

Method: for each of three typical response bodies (a token response, a page of 50 JSON items,
and a 256 KB JSON document, the largest the redactor searches), time N recordings of the body
(decode it and cut the excerpt the report keeps: the baseline), and N recordings with the run's
`Redactor` learning from the body and shortening what it knows (what `grader.wire` does now),
the redactor knowing a dozen secrets as it would late in a run. Rotating order; the figures are
the ratios redacted/baseline per round: their median and spread.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import time

from grader.redact import Redactor

EXCERPT = 2000


def _bodies() -> dict[str, bytes]:
    token = {"access_token": "eyJ" + secrets.token_urlsafe(600), "token_type": "Bearer",
             "refresh_token": secrets.token_urlsafe(32), "expires_in": 900}
    page = {"items": [{"id": i, "title": f"Note {i}", "body": "x" * 200, "owner": "usr_1"}
                      for i in range(50)]}
    big = {"items": [{"id": i, "text": "y" * 240} for i in range(1000)]}
    return {name: json.dumps(value).encode() for name, value in
            (("token response", token), ("page of 50", page), ("256 KB", big))}


def _record(body: bytes) -> str:
    return body.decode("utf-8", errors="backslashreplace")[:EXCERPT]


def _record_redacted(body: bytes, redactor: Redactor) -> str:
    text = body.decode("utf-8", errors="backslashreplace")
    redactor.learn_body(text)
    return redactor.excerpt(text, EXCERPT)[0]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    parser.add_argument("--per-round", type=int, default=200, help="recordings per round")


def run(rounds: int = 15, per_round: int = 200) -> dict:
    results = {}
    for name, body in _bodies().items():
        redactor = Redactor()
        for _ in range(12):
            redactor.learn(secrets.token_urlsafe(32))
        ratios = []
        for round_number in range(rounds):
            timings = {}
            order = ("base", "redacted") if round_number % 2 == 0 else ("redacted", "base")
            for kind in order:
                started = time.perf_counter()
                for _ in range(per_round):
                    if kind == "base":
                        _record(body)
                    else:
                        _record_redacted(body, redactor)
                timings[kind] = time.perf_counter() - started
            ratios.append(timings["redacted"] / timings["base"])
        results[name] = {"bytes": len(body), "median_ratio": statistics.median(ratios),
                         "min_ratio": min(ratios), "max_ratio": max(ratios),
                         "redacted_us_per_record": timings["redacted"] / per_round * 1e6}
    return results


def summarize(result: dict) -> str:
    lines = [f"{'body':<16}{'bytes':>9}{'redacted/base':>15}{'spread':>16}{'µs/record':>11}"]
    for name, figures in result.items():
        spread = f"{figures['min_ratio']:.1f}–{figures['max_ratio']:.1f}"
        lines.append(f"{name:<16}{figures['bytes']:>9}{figures['median_ratio']:>15.1f}{spread:>16}"
                     f"{figures['redacted_us_per_record']:>11.0f}")
    return "\n".join(lines)
