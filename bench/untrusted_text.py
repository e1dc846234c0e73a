"""What cleaning untrusted text costs.

Each measure is a ratio against a baseline timed in the same run, over a large report: many
checks, each with a request and a response whose body is a 2,000-character excerpt (the grader's
cap). The report comes twice: "ordinary" (what a server usually sends: no control characters)
and "hostile" (escape sequences and bidi characters every few words).

- `clean_*`: `apilab.untrusted.clean` over every string of the report, against one pass of
  `str.replace` over the same strings (the cheapest pass that copies the text);
- `text_report_*`: `apilab check`'s text report (`render_text`, verbose) against the same
  rendering with the cleaning skipped, i.e. what the sanitizer adds to the command.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from unittest import mock

from apilab.untrusted import clean
from grader.report import CheckResult, Exchange, ReceivedResponse, Report, SentRequest

ATTACK = "\x1b]0;OWNED\x1b\\ \x1b[2J \x9b2J \u202eevil\u202c [bold red]x[/] "


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checks", type=int, default=400, help="checks in the report (400)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each (default 9)")


MEASURES = ("clean_ordinary", "clean_hostile", "text_report_ordinary", "text_report_hostile")


def run(checks: int = 400, runs: int = 9) -> dict:
    result: dict = {"checks": checks, "runs": runs}
    for kind, attack in (("ordinary", ""), ("hostile", ATTACK)):
        result |= _measure(kind, large_report(checks, attack), runs)
    return result


def _measure(kind: str, report: Report, runs: int) -> dict:
    strings = list(_strings(report.model_dump()))
    return {
        f"characters_{kind}": sum(len(s) for s in strings),
        f"clean_{kind}": _ratio(lambda: [clean(s) for s in strings],
                                lambda: [s.replace("\r\n", "\n") for s in strings], runs),
        f"text_report_{kind}": _ratio(lambda: _render(report, sanitize=True),
                                      lambda: _render(report, sanitize=False), runs),
    }


def summarize(result: dict) -> str:
    lines = [f"{result['checks']} checks, {result['characters_hostile']:,} characters, "
             f"median of {result['runs']} runs"]
    for name in MEASURES:
        figures = result[name]
        lines.append(f"  {name:<24} {figures['median']:6.2f}x  (min {figures['min']:.2f}x, "
                     f"max {figures['max']:.2f}x; baseline {figures['baseline_ms']:.1f} ms)")
    return "\n".join(lines)


def large_report(checks: int, attack: str = ATTACK) -> Report:
    """A failed report of `checks` checks with `attack` in every string a server could write."""
    body = ((attack + '{"id": 1, "title": "A book", "tags": ["a", "b"]} ') * 60)[:2000]
    results = []
    for index in range(checks):
        request = SentRequest(method="POST", url=f"http://127.0.0.1:8001/books/{index}",
                              headers=[("content-type", "application/json")], body=body[:400])
        response = ReceivedResponse(status=500, reason="Oops " + attack, body=body,
                                    headers=[("x-evil", attack), ("content-type", "text/plain")])
        results.append(CheckResult(
            id=f"check-{index}", title=f"Check {index}", status="fail", points=0,
            max_points=1, message="answered 500 " + attack, expected="status 201",
            received="status 500 " + attack, why="RFC 9110", hint="Return 201.",
            exchanges=[Exchange(request=request, response=response, elapsed_ms=1.0,
                                curl=f"curl -i -X POST http://127.0.0.1:8001/books/{index}")]))
    return Report(exercise="books", exercise_id="x", title="Books", status="fail", score=0,
                  max_score=checks, seed=1, url="http://127.0.0.1:8001", grader_version="bench",
                  started_at=datetime(2025, 1, 1, tzinfo=UTC), duration_ms=1.0, checks=results)


def _render(report: Report, sanitize: bool) -> str:
    from grader.render.text import render_text

    if sanitize:
        return render_text(report, verbose=True)
    with mock.patch("grader.render.text.cleaned", lambda unchanged: unchanged), \
            mock.patch("grader.render.text.clean", lambda unchanged: unchanged):
        return render_text(report, verbose=True)


def _ratio(measured: Callable[[], object], baseline: Callable[[], object], runs: int) -> dict:
    measured(), baseline()  # warm up
    ratios, baselines = [], []
    for _ in range(runs):
        started = time.perf_counter()
        baseline()
        base = time.perf_counter() - started
        started = time.perf_counter()
        measured()
        ratios.append((time.perf_counter() - started) / base)
        baselines.append(base * 1000)
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios),
            "baseline_ms": statistics.median(baselines)}


def _strings(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
