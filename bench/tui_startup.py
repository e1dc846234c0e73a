"""Time from `apilab` starting to its first screen painted, against a bare Textual app.

Each sample is a fresh Python process, as a learner's `apilab` is: it imports what it needs,
loads the course and the progress store (the real ones, in a temporary APILAB_HOME), builds the
app and exits once the course map has been painted. The baseline is the same process with a
one-widget Textual app and nothing of apilab, so the ratio is apilab's own start-up cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.table import Figure

CHILD = r"""
import sys, time
which = sys.argv[1]
if which == "apilab":
    from apilab import paths
    from apilab.catalog.loader import load_course
    from apilab.store import Store
    from tui.app import ApilabApp
    app = ApilabApp(load_course(paths.course_root()), Store.open_default())
else:
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        def compose(self):
            yield Static("hello")

    app = Bare()

async def painted(pilot):
    await pilot.pause()  # mount and first refresh are done
    print(f"{time.time():.6f}", file=sys.stderr)  # wall clock, compared with the parent's
    pilot.app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=painted)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=10, help="samples of each (default 10)")


def run(runs: int = 10) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="apilab-bench-home-") as home:
        env = {**os.environ, "APILAB_HOME": home}
        _sample("apilab", env)  # warm the file cache and the store's first migration
        apilab = [_sample("apilab", env) for _ in range(runs)]
        bare = [_sample("bare", env) for _ in range(runs)]
    ratios = [a / b for a, b in zip(sorted(apilab), sorted(bare), strict=True)]
    return {
        "runs": runs,
        "apilab_s": _stats(apilab),
        "bare_textual_s": _stats(bare),
        "ratio_median": statistics.median(apilab) / statistics.median(bare),
        "ratio_range": [min(ratios), max(ratios)],
    }


GOAL = 1.5  # the app's first screen within 1.5 times a bare Textual app's


def figures(result: dict[str, Any]) -> list[Figure]:
    """The app's first screen against a bare Textual app's (see `bench.table`)."""
    return [Figure("apilab app: start to first screen", result["apilab_s"]["median"] * 1000,
                   "bare Textual app", result["bare_textual_s"]["median"] * 1000,
                   result["ratio_median"], GOAL)]


def summarize(result: dict[str, Any]) -> str:
    a, b = result["apilab_s"], result["bare_textual_s"]
    low, high = result["ratio_range"]
    return "\n".join([
        f"first screen painted, {result['runs']} fresh processes each (seconds)",
        f"  apilab          median {a['median']:.3f}  min {a['min']:.3f}  max {a['max']:.3f}",
        f"  bare Textual    median {b['median']:.3f}  min {b['min']:.3f}  max {b['max']:.3f}",
        f"  ratio           {result['ratio_median']:.2f}x (sorted pairs {low:.2f}-{high:.2f}x)",
    ])


def _sample(which: str, env: dict[str, str]) -> float:
    """Seconds from launching the process (interpreter start included) to the first paint."""
    launched = time.time()
    done = subprocess.run([sys.executable, "-c", CHILD, which], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return float(done.stderr.strip().splitlines()[-1]) - launched


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}
