"""Time from `apilab` starting to its first screen painted, against a bare Textual app, and the
app's memory then.

Each sample is a fresh Python process, as a learner's `apilab` is: it imports what it needs,
loads the course as `apilab` does (kept from the previous start: its outline, the whole course
following in a thread once the map is painted) and the progress store (the real ones, in a
temporary APILAB_HOME), builds the app and exits once the course map has been painted. The
baseline is the same process with a one-widget Textual app and nothing of apilab, so the ratio
is apilab's own start-up cost. The two are sampled in pairs, in alternating order, so that both
see the same machine. Each process also reports its peak resident memory (RSS) at the first
screen.

    python -m bench tui_startup [--runs 10]
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
import asyncio, sys, time
which = sys.argv[1]
if which == "apilab":
    from apilab import paths
    from apilab.catalog.cache import kept_course
    from apilab.store import Store
    from tui.app import ApilabApp
    app = ApilabApp(kept_course(paths.course_root()), Store.open_default())
else:
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        def compose(self):
            yield Static("hello")

    app = Bare()

def peak_kib():
    # The high-water mark of this program's memory. Not getrusage's ru_maxrss: Linux carries
    # into it the peak of the process that forked this one, before it ran Python.
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import psutil
        return psutil.Process().memory_info().rss // 1024  # the resident size now, at least

def mark():
    print(f"{time.time():.6f} {peak_kib()}", file=sys.stderr)  # wall clock, compared with the parent's

async def painted(pilot):
    # Once every message at hand (compose, mount, layout) is processed and the screen painted,
    # taken then; not pilot.pause(), which waits for the app to be idle, past what the app does
    # after its first paint.
    done = asyncio.Event()
    pilot.app.call_after_refresh(lambda: (mark(), done.set()))
    await done.wait()
    pilot.app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=painted)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=10, help="samples of each (default 10)")


def run(runs: int = 10) -> dict[str, Any]:
    load_before = [round(load, 2) for load in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="apilab-bench-home-") as home:
        env = {**os.environ, "APILAB_HOME": home}
        _sample("apilab", env)  # warm the file cache and the store's first migration
        samples: dict[str, list[tuple[float, float]]] = {"apilab": [], "bare": []}
        for index in range(runs):
            for which in ("apilab", "bare") if index % 2 == 0 else ("bare", "apilab"):
                samples[which].append(_sample(which, env))
    apilab, bare = ([seconds for seconds, _ in samples[name]] for name in ("apilab", "bare"))
    ratios = [a / b for a, b in zip(apilab, bare, strict=True)]  # pair by pair
    return {
        "runs": runs,
        "load_average_before": load_before,
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
        "apilab_s": _stats(apilab),
        "bare_textual_s": _stats(bare),
        "ratio_median": statistics.median(ratios),
        "ratio_range": [min(ratios), max(ratios)],
        "apilab_peak_rss_mb": _stats([mb for _, mb in samples["apilab"]]),
        "bare_textual_peak_rss_mb": _stats([mb for _, mb in samples["bare"]]),
    }


GOAL = 1.5  # the app's first screen within 1.5 times a bare Textual app's
MOST_MB = 150  # and its peak memory then under this


def figures(result: dict[str, Any]) -> list[Figure]:
    """The app's first screen against a bare Textual app's (see `bench.table`)."""
    rss, bare_rss = result["apilab_peak_rss_mb"]["median"], result["bare_textual_peak_rss_mb"]["median"]
    return [Figure("apilab app: start to first screen", result["apilab_s"]["median"] * 1000,
                   "bare Textual app", result["bare_textual_s"]["median"] * 1000,
                   result["ratio_median"], GOAL),
            Figure("apilab app: peak memory (RSS) at first screen", rss, "bare Textual app",
                   bare_rss, rss / bare_rss, unit="MB", most=MOST_MB)]


def summarize(result: dict[str, Any]) -> str:
    a, b = result["apilab_s"], result["bare_textual_s"]
    low, high = result["ratio_range"]
    m, n = result["apilab_peak_rss_mb"], result["bare_textual_peak_rss_mb"]
    return "\n".join([
        f"first screen painted, {result['runs']} fresh processes each, in pairs (seconds); "
        f"load average {result['load_average_before'][0]:g} before, "
        f"{result['load_average_after'][0]:g} after",
        f"  apilab          median {a['median']:.3f}  min {a['min']:.3f}  max {a['max']:.3f}",
        f"  bare Textual    median {b['median']:.3f}  min {b['min']:.3f}  max {b['max']:.3f}",
        f"  ratio           {result['ratio_median']:.2f}x (pairs {low:.2f}-{high:.2f}x)",
        f"peak RSS at the first screen (MB): apilab median {m['median']:.0f} (max {m['max']:.0f}), "
        f"bare Textual median {n['median']:.0f}",
    ])


def _sample(which: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from launching the process (interpreter start included) to the first paint, and
    the process's peak RSS by then, in MB."""
    launched = time.time()
    done = subprocess.run([sys.executable, "-c", CHILD, which], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    painted, peak_kib = done.stderr.strip().splitlines()[-1].split()
    return float(painted) - launched, int(peak_kib) / 1024


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}
