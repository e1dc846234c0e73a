"""What exporting the gradebook costs in memory as a cohort grows.

Method: a hub file with N learners, each with a submission of every exercise of the course (a
small report of 8 checks); the CSV export (`hub.gradebook.as_csv`, what `apilab hub gradebook`
and `GET /v1/cohort/gradebook` stream) is consumed chunk by chunk under `tracemalloc`. Figures:
its peak memory for the large cohort over its peak for the small one (streaming keeps this near
1), and, at the large size, the peak of the same export joined into one string (what a
non-streaming answer would hold) over the streaming peak. Both sizes exceed one page of
learners (500), so the pages are alike; SQLite's own allocations are not traced.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime
from pathlib import Path

from apilab.catalog.loader import load_course
from apilab.paths import course_root
from grader.report import CheckResult, Report
from hub import gradebook as book
from hub.auth import hash_token
from hub.store import HubStore


def _report(exercise: str, seed: int) -> Report:
    checks = [CheckResult(id=f"check-{i}", title=f"Check {i}", status="pass" if (seed + i) % 3
                          else "fail", points=0 if (seed + i) % 3 == 0 else 1, max_points=1,
                          message="", why="RFC 9110") for i in range(8)]
    score = sum(check.points for check in checks)
    return Report(exercise=exercise, exercise_id=str(uuid.UUID(int=seed)), title=exercise,
                  status="pass" if score == 8 else "fail", score=score, max_score=8, seed=seed,
                  url="http://127.0.0.1:8001", grader_version="bench",
                  started_at=datetime(2026, 1, 1, tzinfo=UTC), duration_ms=1.0, checks=checks)


def _hub(folder: Path, learners: int, exercises: list[str]) -> HubStore:
    store = HubStore(folder / f"hub-{learners}.db")
    for number in range(learners):
        user = store.add_user(f"learner-{number:06}", "learner", hash_token(f"t{number}"))
        for exercise in exercises:
            store.put_submission(user, str(uuid.uuid4()), "submit", _report(exercise, number))
    return store


def _peak(export) -> tuple[int, float]:
    tracemalloc.start()
    started = time.perf_counter()
    export()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, elapsed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--small", type=int, default=1000, help="learners in the small cohort")
    parser.add_argument("--large", type=int, default=4000, help="learners in the large cohort")


def run(small: int = 1000, large: int = 4000) -> dict:
    exercises = [e.slug for e in load_course(course_root()).ordered_exercises()]
    figures: dict = {"exercises": len(exercises), "small": small, "large": large}
    with tempfile.TemporaryDirectory() as folder:
        stores = {size: _hub(Path(folder), size, exercises) for size in (small, large)}
        for size, store in stores.items():
            peak, elapsed = _peak(lambda s=store: sum(len(c) for c in book.as_csv(s, exercises)))
            figures[f"stream_peak_bytes_{size}"] = peak
            figures[f"stream_seconds_{size}"] = round(elapsed, 3)
        joined, _ = _peak(lambda: "".join(book.as_csv(stores[large], exercises)))
        figures["joined_peak_bytes_large"] = joined
        for store in stores.values():
            store.close()
    figures["stream_peak_large_over_small"] = round(
        figures[f"stream_peak_bytes_{large}"] / figures[f"stream_peak_bytes_{small}"], 2)
    figures["joined_over_stream_at_large"] = round(joined / figures[f"stream_peak_bytes_{large}"], 2)
    return figures


def summarize(result: dict) -> str:
    return (f"gradebook export, {result['exercises']} exercises: streaming peak grows "
            f"{result['stream_peak_large_over_small']}x from {result['small']} to "
            f"{result['large']} learners; holding it whole would take "
            f"{result['joined_over_stream_at_large']}x the streaming peak")
