"""The app's grading process: the same reports as grading in place, runs that can be stopped,
a child that can die without taking a run's caller with it, and nothing left when the app ends."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest

from apilab.grading_process import GradingProcess, GradingProcessError
from grader.runner import grade
from grader.target import TargetError
from tests import hostile_servers as hs
from tests.helpers import FIXTURE_COURSE
from tests.terminal import wait_until


@pytest.fixture
def grading():
    process = GradingProcess()
    yield process
    process.stop()


def _statuses(report):
    return [(result.id, result.status, result.points) for result in report.checks]


async def test_a_run_in_the_process_reports_what_grading_here_reports(
        grading, fixture_course, hello_solution_url):
    exercise = fixture_course.exercise("hello-api")
    seen = []
    there = await grading.grade(exercise, hello_solution_url, seed=7,
                                on_progress=lambda p: seen.append((p.index, p.result is None)))
    here = await grade(exercise, hello_solution_url, seed=7)
    assert (there.status, there.score, there.max_score, there.seed) == (
        here.status, here.score, here.max_score, 7)
    assert _statuses(there) == _statuses(here)
    # Each check announced, then its result, in order, all before the report came back.
    assert seen == [(index, starting) for index in range(len(here.checks))
                    for starting in (True, False)]
    again = await grading.grade(exercise, hello_solution_url, seed=7)  # the same, warm, process
    assert _statuses(again) == _statuses(here)


async def test_stopped_the_child_leaves_of_itself_rather_than_being_killed(
        fixture_course, hello_solution_url):
    # The app stops its grading process as it quits: the child must see the pipe close (even
    # while the app's reader waits on it) and end on its own, not be killed after a wait.
    grading = GradingProcess()
    await grading.grade(fixture_course.exercise("hello-api"), hello_solution_url)
    child = grading._process
    grading.stop()
    assert child is not None and child.exitcode == 0


async def test_an_error_of_grade_is_raised_in_the_caller(grading, fixture_course):
    exercise = fixture_course.exercise("hello-api")
    with pytest.raises(TargetError, match="example.com"):
        await grading.grade(exercise, "http://example.com:8001")


async def test_a_stopped_run_is_stopped_there_and_the_next_one_runs(
        grading, fixture_course, hello_solution_url):
    exercise = fixture_course.exercise("hello-api")
    started = asyncio.Event()
    run = asyncio.create_task(grading.grade(exercise, hello_solution_url,
                                            on_progress=lambda _p: started.set()))
    await asyncio.wait_for(started.wait(), 60)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    report = await grading.grade(exercise, hello_solution_url)
    assert (report.status, report.score) == ("pass", report.max_score)


async def test_a_child_that_dies_fails_its_run_and_the_next_run_starts_another(
        grading, fixture_course, hello_solution_url):
    exercise = fixture_course.exercise("hello-api")
    await grading.grade(exercise, hello_solution_url)
    first = grading.pid
    killed = []

    def kill_it(_progress):
        # Progress already in the pipe still arrives after the kill: kill only once.
        if not killed:
            killed.append(first)
            os.kill(first, signal.SIGKILL)

    # A server that answers after seconds, so that the child is still in the run when it is
    # killed (a run of the solution can end before the kill lands, its report already sent).
    with hs.HostileServers({"slow": hs.slow_ok(5.0)}) as slow, \
            pytest.raises(GradingProcessError, match=r"ended \(exit code -9\).*Press r"):
        await grading.grade(exercise, slow.url("slow"), on_progress=kill_it)
    report = await grading.grade(exercise, hello_solution_url)
    assert report.status == "pass" and grading.pid not in (None, first)


def test_the_child_leaves_when_the_app_is_killed():
    """However the app ends (here `kill -9`, which runs no clean-up), the child sees the pipe
    close and ends."""
    script = textwrap.dedent(f"""
        import asyncio, sys
        from apilab.catalog.loader import load_course
        from apilab.grading_process import GradingProcess
        from pathlib import Path

        async def main():
            grading = GradingProcess()
            exercise = load_course(Path({str(FIXTURE_COURSE)!r})).exercise("hello-api")
            await grading.grade(exercise, "http://127.0.0.1:9")  # nothing listens: a quick run
            print(grading._process.pid, flush=True)
            await asyncio.sleep(600)

        asyncio.run(main())
    """)
    app = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                           cwd=os.getcwd())
    try:
        child = int(app.stdout.readline())
        assert psutil.pid_exists(child)
        app.kill()
        app.wait()
        wait_until(lambda: not _running(child), 20, lambda: f"the grading process {child} is left")
    finally:
        app.kill()


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
