"""What proving a lesson notebook costs, against starting a Jupyter kernel for one empty cell.

For each lesson notebook: its solution run top to bottom, the published notebook run until it
stops at its first blank, and the probe that runs every blank with its self-check. Each is a
fresh kernel against one sandbox, reset before every run, as `apilab verify` does. The baseline
is a one-cell notebook in a fresh kernel, so a ratio says how much the notebook adds to the
kernel's own start-up; the sum of the three is what each lesson adds to `make test`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import nbformat

from apilab import paths
from apilab.blanks import find_blanks, solution_path
from apilab.catalog.loader import load_course
from apilab.notebooks import execute, run_notebook
from apilab.sandbox_process import SandboxProcess
from apilab.verify_notebooks import probe_notebook

PARTS = ("solution", "untouched", "probe")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=3, help="samples of each (default 3)")


def run(runs: int = 3) -> dict[str, Any]:
    course = load_course(paths.course_root())
    published = [p for lesson in course.lessons if (p := course.notebook_path(lesson)) is not None]
    with SandboxProcess() as sandbox, tempfile.TemporaryDirectory(prefix="apilab-bench-nb-") as tmp:
        empty = Path(tmp) / "empty.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")]), empty)
        baseline = _times(runs, lambda: run_notebook(empty, sandbox.url))
        lessons = {path.stem: _lesson(path, sandbox.url, runs) for path in published}
    base = statistics.median(baseline)
    return {
        "runs": runs,
        "empty_kernel_s": _stats(baseline),
        "lessons": {name: {part: {**_stats(times), "ratio": statistics.median(times) / base}
                           for part, times in parts.items()} for name, parts in lessons.items()},
    }


def summarize(result: dict[str, Any]) -> str:
    base = result["empty_kernel_s"]
    lines = [f"fresh kernel per run, median of {result['runs']} (seconds, and x an empty kernel)",
             f"  empty one-cell notebook       {base['median']:.2f}"]
    for name, parts in result["lessons"].items():
        total = sum(parts[part]["median"] for part in PARTS)
        lines.append(f"  {name}: all three {total:.2f}")
        lines += [f"    {part:<12}{parts[part]['median']:8.2f}  {parts[part]['ratio']:5.1f}x"
                  for part in PARTS]
    return "\n".join(lines)


def _lesson(published: Path, sandbox_url: str, runs: int) -> dict[str, list[float]]:
    solution = solution_path(published)
    notebook = nbformat.read(solution, as_version=4)
    probe, _ = probe_notebook(notebook, find_blanks(notebook))

    def reset_then(action: Callable[[], object]) -> Callable[[], object]:
        def run_once() -> object:
            httpx.post(f"{sandbox_url}/admin/reset", timeout=10, trust_env=False).raise_for_status()
            return action()
        return run_once

    return {
        "solution": _times(runs, reset_then(lambda: run_notebook(solution, sandbox_url))),
        "untouched": _times(runs, reset_then(lambda: run_notebook(published, sandbox_url))),
        "probe": _times(runs, reset_then(lambda: execute(nbformat.from_dict(probe), solution, sandbox_url,
                                                         keep_going=True))),
    }


def _times(runs: int, action: Callable[[], object]) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def _stats(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}
