"""How long `import apilab.sync` takes: what every everyday command (`apilab check`, `lessons`,
`submit`, the app) pays before it can send a waiting submission. The baseline is a bare
interpreter started the same way, in the same run; the learner's side must never load FastAPI.

    python -m bench import_time [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.table import Figure

RUNS = 15
MODULE = "apilab.sync"


# Bytecode cached as a learner's is: with PYTHONDONTWRITEBYTECODE every start compiles again.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _seconds(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV)
    return time.perf_counter() - started


def run(runs: int = RUNS) -> dict[str, Any]:
    """Median wall time of a fresh interpreter importing apilab.sync, and of one doing nothing,
    alternating so that both see the same machine; and which heavy packages the import loads."""
    bare, sync = [], []
    for _ in range(runs):
        bare.append(_seconds("pass"))
        sync.append(_seconds(f"import {MODULE}"))
    heavy = "{'fastapi', 'starlette', 'uvicorn', 'textual'}"
    probe = subprocess.run(
        [sys.executable, "-c", f"import sys, {MODULE}; print(*sorted({heavy} & set(sys.modules)))"],
        capture_output=True, text=True, check=True)
    bare_s, sync_s = statistics.median(bare), statistics.median(sync)
    return {"runs": runs, "bare_interpreter_s": round(bare_s, 3), "import_s": round(sync_s, 3),
            "import_only_s": round(sync_s - bare_s, 3), "ratio": round(sync_s / bare_s, 2),
            "server_packages_loaded": probe.stdout.split()}


def figures(result: dict[str, Any]) -> list[Figure]:
    """`import apilab.sync` against a bare interpreter, for context (see `bench.table`)."""
    return [Figure(f"python -c 'import {MODULE}'", result["import_s"] * 1000, "bare interpreter",
                   result["bare_interpreter_s"] * 1000, result["ratio"])]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=RUNS,
                        help=f"interpreters started for each (default {RUNS})")


def summarize(result: dict[str, Any]) -> str:
    loaded = ", ".join(result["server_packages_loaded"]) or "none"
    return (f"import_time: python -c 'import {MODULE}', median of {result['runs']}\n\n"
            f"  bare interpreter  {result['bare_interpreter_s']:.3f} s\n"
            f"  import {MODULE}  {result['import_s']:.3f} s  ({result['ratio']}x the bare "
            f"interpreter; the import itself {result['import_only_s']:.3f} s)\n"
            f"  server packages loaded: {loaded}")
