"""How long `import apilab.sync` takes: what every everyday command (`apilab check`, `lessons`,
`submit`, the app) pays before it can send a waiting submission. The baseline is a bare
interpreter started the same way, in the same run; the learner's side must never load FastAPI.

And the floor under `apilab check`: an interpreter that imports the libraries a check loads
(the standard library's modules and the packages: pydantic, Hypothesis, click...) and none of
apilab's own code. No change to apilab makes a cold check cost less than that.

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
# What `apilab check` imports to grade an exercise with contract probes, the last stage's.
CHECK_PATH = ("apilab.cli", "apilab.commands.grading", "apilab.grading_progress", "grader.runner",
              "grader.contract.session")
OWN = {"apilab", "grader", "httpkit", "hub", "sandbox_api", "tui", "bench"}


# Bytecode cached as a learner's is: with PYTHONDONTWRITEBYTECODE every start compiles again.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _seconds(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV)
    return time.perf_counter() - started


def run(runs: int = RUNS) -> dict[str, Any]:
    """Median wall time of a fresh interpreter importing apilab.sync, and of one doing nothing,
    alternating so that both see the same machine; and which heavy packages the import loads."""
    libraries = _libraries_of_check()
    bare, sync, floor = [], [], []
    for _ in range(runs):
        bare.append(_seconds("pass"))
        sync.append(_seconds(f"import {MODULE}"))
        floor.append(_seconds(f"import {', '.join(libraries)}"))
    heavy = "{'fastapi', 'starlette', 'uvicorn', 'textual'}"
    probe = subprocess.run(
        [sys.executable, "-c", f"import sys, {MODULE}; print(*sorted({heavy} & set(sys.modules)))"],
        capture_output=True, text=True, check=True)
    bare_s, sync_s, floor_s = statistics.median(bare), statistics.median(sync), statistics.median(floor)
    return {"runs": runs, "bare_interpreter_s": round(bare_s, 3), "import_s": round(sync_s, 3),
            "import_only_s": round(sync_s - bare_s, 3), "ratio": round(sync_s / bare_s, 2),
            "server_packages_loaded": probe.stdout.split(),
            "check_libraries": len(libraries), "check_libraries_s": round(floor_s, 3),
            "check_libraries_only_s": round(floor_s - bare_s, 3)}


def _libraries_of_check() -> list[str]:
    """The top-level modules `apilab check` has loaded once it can grade, apilab's own left out,
    in the order it loaded them. A module with no spec is a stand-in apilab put there for one it
    defers (apilab.iri_grammar), not a module it loaded."""
    code = (f"import sys, {', '.join(CHECK_PATH)}; "
            "print(*dict.fromkeys(name.split('.')[0] for name, module in sys.modules.items() "
            "if getattr(module, '__spec__', None) is not None))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env=ENV).stdout.split()
    return [name for name in loaded if name not in OWN and not name.startswith("_")
            and name.isidentifier() and name not in sys.builtin_module_names]


def figures(result: dict[str, Any]) -> list[Figure]:
    """`import apilab.sync` against a bare interpreter, for context (see `bench.table`)."""
    bare = result["bare_interpreter_s"] * 1000
    return [Figure(f"python -c 'import {MODULE}'", result["import_s"] * 1000, "bare interpreter",
                   bare, result["ratio"]),
            Figure(f"the {result['check_libraries']} libraries apilab check loads, none of apilab's",
                   result["check_libraries_s"] * 1000, "bare interpreter", bare,
                   round(result["check_libraries_s"] * 1000 / bare, 2))]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=RUNS,
                        help=f"interpreters started for each (default {RUNS})")


def summarize(result: dict[str, Any]) -> str:
    loaded = ", ".join(result["server_packages_loaded"]) or "none"
    return (f"import_time: python -c 'import {MODULE}', median of {result['runs']}\n\n"
            f"  bare interpreter  {result['bare_interpreter_s']:.3f} s\n"
            f"  import {MODULE}  {result['import_s']:.3f} s  ({result['ratio']}x the bare "
            f"interpreter; the import itself {result['import_only_s']:.3f} s)\n"
            f"  server packages loaded: {loaded}\n"
            f"  the {result['check_libraries']} libraries apilab check loads, none of apilab's: "
            f"{result['check_libraries_s']:.3f} s (the imports themselves "
            f"{result['check_libraries_only_s']:.3f} s)")
