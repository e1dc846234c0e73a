"""Snapshots of each screen at 100x32, from fixed data (fixed times, seeds and URLs).

Update after an intended change with: pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import FIXED_TIME, make_report
from tui.app import ApilabApp
from tui.screens.exercise import ExerciseScreen
from tui.screens.lesson import LessonScreen

SIZE = (100, 32)


pytestmark = pytest.mark.usefixtures("utc")


@pytest.fixture
def app_with_history(fixture_course, store):
    """Two runs of hello-api (failing, then better), a passed whoami, one mentor note."""
    store.record_run(make_report("hello-api", passed=(True, False, False), points=(1, 1, 3)))
    latest = store.record_run(make_report("hello-api", passed=(True, True, False),
                                          points=(1, 1, 3),
                                          started_at=FIXED_TIME + timedelta(minutes=7)),
                              server="node server.js")
    store.record_run(make_report("whoami", passed=(False,), points=(2,),
                                 started_at=FIXED_TIME + timedelta(minutes=9)))
    store.add_feedback(latest, "Mentor Mo", "Close! Your **POST** answers 500.\n\n"
                       "Return `201 Created` and a `Location` header.",
                       check_id="check-2", verdict="revise")
    return ApilabApp(fixture_course, store)


def test_course_map(snap_compare, app_with_history):
    assert snap_compare(app_with_history, terminal_size=SIZE)


def test_course_map_help(snap_compare, app_with_history):
    assert snap_compare(app_with_history, press=["question_mark"], terminal_size=SIZE)


def test_lesson(snap_compare, app_with_history):
    async def open_lesson(pilot):
        app = pilot.app
        await app.push_screen(LessonScreen(app.course.lesson("1")))
        await pilot.pause()

    assert snap_compare(app_with_history, run_before=open_lesson, terminal_size=SIZE)


def test_exercise_with_a_failed_check_open(snap_compare, app_with_history):
    async def open_exercise(pilot):
        app = pilot.app
        await app.push_screen(ExerciseScreen(app.course.exercise("hello-api")))
        await pilot.pause()

    assert snap_compare(app_with_history, run_before=open_exercise, terminal_size=SIZE)


def test_history(snap_compare, app_with_history):
    async def open_history(pilot):
        app = pilot.app
        await app.push_screen(ExerciseScreen(app.course.exercise("hello-api")))
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()

    assert snap_compare(app_with_history, run_before=open_history, terminal_size=SIZE)


def test_history_diff(snap_compare, app_with_history):
    async def open_diff(pilot):
        app = pilot.app
        await app.push_screen(ExerciseScreen(app.course.exercise("hello-api")))
        await pilot.pause()
        await pilot.press("h", "d")
        await pilot.pause()

    assert snap_compare(app_with_history, run_before=open_diff, terminal_size=SIZE)


def test_inbox(snap_compare, app_with_history):
    assert snap_compare(app_with_history, press=["i"], terminal_size=SIZE)


def test_feedback_beside_its_report(snap_compare, app_with_history):
    assert snap_compare(app_with_history, press=["i", "enter"], terminal_size=SIZE)
