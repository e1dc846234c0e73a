"""How long the terminal app takes to open its screens, and to grade, against baselines measured
in the same run.

The app runs headless under Textual's pilot at 80x24 with the real course, a temporary progress
store holding one earlier run of the exercise, and a real server (the exercise's reference
solution under uvicorn). For each sample:

- `empty`: push an apilab screen with nothing in it and wait until it is painted: what opening
  any screen costs Textual itself, the baseline of the screens below;
- `lesson`, `exercise`, `history`, `report`, `inbox`: push the screen and wait until it is usable:
  painted, with its reading (rendered in a thread) on screen (the lesson with the course's
  longest reading, the exercise with its longest task and its last run shown). A reading shows
  its first screenful before the whole of it: `lesson_whole` and `exercise_whole` wait for the
  whole. Each opening is a first one: the readings kept from earlier openings are forgotten
  before each sample; `lesson_again` and `exercise_again` open them once more, as a learner
  going back and forth does;
- `grade`: `grader.runner.grade()` of the server, in the same process and event loop;
- `check`: `apilab check` of the same server as a process of its own, as a learner runs it from
  a shell (its own APILAB_HOME, warmed by the first sample like a learner's);
- `app_grade`: the exercise screen's `r`, from the key to the report on screen and recorded.

Ratios are medians over medians: a screen against `empty`; `app_grade` against `check` (the
app's run costs no more than the command's) and against `grade`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from apilab import paths
from apilab.app_servers import serve_app
from apilab.catalog.loader import load_course
from apilab.catalog.models import Course
from apilab.ports import free_port
from apilab.store import Store
from bench.table import Figure
from grader.runner import grade

SIZE = (80, 24)
SCREENS = ("lesson", "exercise", "history", "report", "inbox")
WITH_READING = ("lesson", "exercise")
SCREEN_GOAL = 3.0  # any screen opens within 3 times an empty screen's time
CHECK_GOAL = 1.0  # the app's `r` costs no more than `apilab check` of the same server
APILAB = Path(sys.executable).parent / "apilab"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=5, help="samples of each (default 5)")


def run(runs: int = 5) -> dict[str, Any]:
    course = load_course(paths.course_root())
    exercise = max(course.ordered_exercises(), key=lambda e: len(e.readme.read_text("utf-8")))
    with tempfile.TemporaryDirectory(prefix="apilab-bench-") as home:
        store = Store(Path(home) / "progress.db")
        samples = asyncio.run(_measure(course, exercise.slug, store, free_port(), runs, Path(home)))
        store.close()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "runs": runs, "size": list(SIZE), "exercise": exercise.slug,
        "median_s": medians,
        "max_s": {name: max(values) for name, values in samples.items()},
        "screen_ratios": {name: medians[name] / medians["empty"] for name in medians
                          if name not in ("empty", "grade", "check", "app_grade")},
        "grade_ratio": medians["app_grade"] / medians["grade"],
        "check_ratio": medians["app_grade"] / medians["check"],
    }


async def _measure(course: Course, slug: str, store: Store, port: int, runs: int,
                   home: Path) -> dict[str, list[float]]:
    """The samples. Each run of the grader (`grade`, `check`, `app_grade`) gets the reference
    solution freshly started on `port` (not timed), as a learner's server holds only what their
    own runs added: a server graded a dozen times holds more books than a check walks."""
    from tui.app import ApilabApp
    from tui.screens.base import ApilabScreen
    from tui.screens.exercise import ExerciseScreen
    from tui.screens.history import HistoryScreen
    from tui.screens.inbox import InboxScreen
    from tui.screens.lesson import LessonScreen
    from tui.screens.report import ReportScreen
    from tui.widgets.reading import RENDERED

    exercise = course.exercise(slug)
    lesson = max(course.lessons, key=lambda each: len(course.reading_path(each).read_text("utf-8")))
    samples: dict[str, list[float]] = {name: [] for name in (
        "empty", *SCREENS, *(f"{name}_{when}" for when in ("whole", "again")
                             for name in WITH_READING), "grade", "check", "app_grade")}
    url = f"http://127.0.0.1:{port}"
    check = [str(APILAB), "check", slug, "--url", url]
    check_env = {**os.environ, "APILAB_HOME": str(home / "cli")}
    # Warm (imports, the first run stored), and before the app runs: the servers' forkserver
    # starts here, not inside Textual's capture of stderr, which has no file descriptor to give.
    with serve_app(exercise.solution_dir, port):
        first = await grade(exercise, url)
    app = ApilabApp(course, store, server_url=url, health_interval=3600, progress_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        run_id = store.record_run(first)
        openers: dict[str, Callable[[], ApilabScreen]] = {
            "empty": ApilabScreen,
            "lesson": lambda: LessonScreen(lesson),
            "exercise": lambda: ExerciseScreen(exercise),
            "history": lambda: HistoryScreen(exercise),
            "report": lambda: ReportScreen(first, run_id),
            "inbox": InboxScreen,
        }
        for make in openers.values():  # warm each screen's imports and styles once
            await _open(pilot, make)
        for _ in range(runs):
            for name, make in openers.items():
                RENDERED.clear()  # a first opening
                shown, whole = await _open(pilot, make)
                samples[name].append(shown)
                if name in WITH_READING:
                    samples[f"{name}_whole"].append(whole)
                    samples[f"{name}_again"].append((await _open(pilot, make))[0])
            with serve_app(exercise.solution_dir, port):
                samples["grade"].append(await _timed(grade(exercise, url)))
            with serve_app(exercise.solution_dir, port):
                samples["check"].append(await _timed(asyncio.to_thread(_check, check, check_env)))
            with serve_app(exercise.solution_dir, port):
                samples["app_grade"].append(await _app_grade(pilot, ExerciseScreen(exercise)))
    return samples


async def _open(pilot: Any, make: Callable[[], Any]) -> tuple[float, float]:
    """Seconds from pushing a new screen until it is usable (mounted, its reading's text
    shown, everything laid out and painted), and until its reading is shown whole. The screen
    is popped after."""
    from tui.widgets.reading import Reading

    started = time.perf_counter()
    screen = make()
    await pilot.app.push_screen(screen)  # composed and mounted
    took = []
    for shown in ("shown_width", "rendered_width"):
        while not all(getattr(reading, shown) for reading in screen.query(Reading)):
            await asyncio.sleep(0.002)
        took.append(await _painted(pilot.app) - started)
    await pilot.app.pop_screen()
    await pilot.pause(0.1)  # the screen taken down before the next sample starts
    return took[0], took[1]


async def _painted(app: Any) -> float:
    """When what changed so far is laid out and painted: the app's next refresh. Taken there,
    not when this coroutine resumes, which may be after more of the app's work."""
    painted: list[float] = []
    done = asyncio.Event()

    def mark() -> None:
        painted.append(time.perf_counter())
        done.set()

    app.call_after_refresh(mark)
    await done.wait()
    return painted[0]


async def _app_grade(pilot: Any, screen: Any) -> float:
    """Seconds from `r` on the exercise screen to the report shown (the run recorded)."""
    await pilot.app.push_screen(screen)
    await pilot.pause()
    started = time.perf_counter()
    worker = screen.run_checks()
    await worker.wait()
    await pilot.pause()
    took = time.perf_counter() - started
    await pilot.app.pop_screen()
    await pilot.pause()
    return took


def _check(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} did not pass:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


async def _timed(work: Awaitable[object]) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


def figures(result: dict[str, Any]) -> list[Figure]:
    """Each screen against an empty screen, and the app's `r` against the grader's run."""
    median = result["median_s"]
    opened = [(name, f"app: open the {name} screen") for name in SCREENS]
    opened += [(f"{name}_again", f"app: open the {name} screen again") for name in WITH_READING]
    found = [Figure(label, median[name] * 1000, "an empty screen", median["empty"] * 1000,
                    result["screen_ratios"][name], SCREEN_GOAL) for name, label in opened]
    found.append(Figure(f"app: r on {result['exercise']}", median["app_grade"] * 1000,
                        "apilab check, same server", median["check"] * 1000,
                        result["check_ratio"], CHECK_GOAL))
    return found


def summarize(result: dict[str, Any]) -> str:
    median, most = result["median_s"], result["max_s"]
    lines = [f"{result['runs']} samples each at {result['size'][0]}x{result['size'][1]}, "
             f"exercise {result['exercise']} (seconds)"]
    for name in median:
        ratio = (result["check_ratio"] if name == "app_grade" else
                 result["screen_ratios"].get(name))
        shown = f"  {ratio:.2f}x" if ratio is not None else ""
        lines.append(f"  {name:<15} median {median[name]:.3f}  max {most[name]:.3f}{shown}")
    return "\n".join(lines)
