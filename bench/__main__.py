"""Run apilab's benchmarks: `python -m bench` runs them all, `python -m bench NAME [options]` one,
`python -m bench NAME NAME...` several with their defaults.

A benchmark is a module listed in `BENCHES` with:
- `run(**options) -> dict`: measure, and return figures that can be saved as JSON;
- optionally `add_arguments(parser)`: its command-line options (with defaults, so that running
  every benchmark with no options works);
- optionally `summarize(result) -> str`: a small table for the terminal.

Each result is printed and saved as JSON under `bench/results/` (git-ignored) with the machine,
its load and the commit it was measured on. A benchmark that has headline figures also offers
`figures(result) -> list[bench.table.Figure]`: at the end, every figure of the benchmarks run is
printed as one table (figure, baseline, ratio, goal) and saved as `bench/results/figures-*.json`.
Benchmarks report ratios against a baseline measured in the same run; they never assert, and
they are never part of the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from bench import table
from bench.table import Figure

BENCHES = {
    "cache_savings": "bench.cache_savings",
    "gradebook_memory": "bench.gradebook_memory",
    "grader_overhead": "bench.grader_overhead",
    "hub_throughput": "bench.hub_throughput",
    "import_time": "bench.import_time",
    "notebook_proofs": "bench.notebook_proofs",
    "probe_cost": "bench.probe_cost",
    "redaction": "bench.redaction",
    "tui_screens": "bench.tui_screens",
    "tui_startup": "bench.tui_startup",
    "verify_course": "bench.verify_course",
    "untrusted_text": "bench.untrusted_text",
}
RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\nBenchmarks: " + ", ".join(BENCHES))
        return 0
    if argv and not argv[0].startswith("-"):
        names = [arg for arg in argv if not arg.startswith("-")]
        selected, options = (names, []) if len(names) == len(argv) else (argv[:1], argv[1:])
        if unknown := [name for name in selected if name not in BENCHES]:
            print(f"no benchmark {unknown[0]!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
    else:
        selected, options = list(BENCHES), argv
        if options:
            print("options apply to one benchmark: python -m bench NAME [options]", file=sys.stderr)
            return 2
    headline: list[Figure] = []
    for name in selected:
        module = importlib.import_module(BENCHES[name])
        result = module.run(**vars(_parser(name, module).parse_args(options)))
        summarize = getattr(module, "summarize", None)
        print(summarize(result) if summarize else json.dumps(result, indent=2))
        print(f"saved to {_shown(save(name, result))}\n")
        headline += module.figures(result) if hasattr(module, "figures") else []
    if headline:
        print(table.text(headline))
        loads = ", ".join(f"{load:.2f}" for load in os.getloadavg())
        print(f"load average (1, 5, 15 min) at the end: {loads}; each benchmark's result holds "
              "its own")
        figures = {"figures": [figure.as_dict() for figure in headline],
                   "markdown": table.markdown(headline)}
        print(f"saved to {_shown(save('figures', figures))}")
    return 0


def _shown(path: Path) -> Path:
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def save(name: str, result: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    document = {"benchmark": name, "measured_at": stamp, "environment": environment(), **result}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def environment() -> dict:
    """Where the figures come from: they only compare within one machine and one run, and
    the load says how many other programs wanted the processors meanwhile."""
    return {
        "load_average_1_5_15_min": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _parser(name: str, module: ModuleType) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m bench {name}",
                                     description=(module.__doc__ or "").strip().split("\n")[0])
    if hasattr(module, "add_arguments"):
        module.add_arguments(parser)
    return parser


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=5,
                              cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


if __name__ == "__main__":
    sys.exit(main())
