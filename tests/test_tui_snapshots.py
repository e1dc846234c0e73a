"""Snapshots of each screen at 80x24 (the smallest supported size) and 120x40, from fixed data
(fixed times, seeds and URLs) with titles as long as the course's own.

Update after an intended change with: pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from apilab.catalog.loader import load_course
from apilab.catalog.models import Course
from tests.helpers import FIXED_TIME, FIXTURE_COURSE, LONG_CHECK_TITLES, make_report, wait_for
from tui.app import ApilabApp
from tui.screens.exercise import ExerciseScreen
from tui.screens.lesson import LessonScreen
from tui.widgets.reading import Reading

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}

# The fixture course's short titles, each replaced by one as long as the real course's.
LONG_TITLES = {
    "lessons/course.toml": {
        'title = "Fixture course"': 'title = "apilab: API development by doing"',
        'title = "HTTP basics"':
            'title = "REST and HTTP semantics: resources, methods and status codes"',
        'title = "Auth basics"': 'title = "Authentication and authorization: tokens and scopes"',
    },
    "exercises/hello-api/exercise.toml": {
        'title = "Hello, API"': 'title = "Reading list: a resource API with pages and problems"',
    },
    "exercises/whoami/exercise.toml": {
        'title = "Who am I?"': 'title = "Private notes: bearer tokens and who may read what"',
    },
}

pytestmark = pytest.mark.usefixtures("utc")


@pytest.fixture(params=SIZES.values(), ids=SIZES.keys())
def size(request) -> tuple[int, int]:
    return request.param


@pytest.fixture(scope="module")
def long_titled_course(tmp_path_factory) -> Course:
    """The fixture course with the long titles above."""
    root = tmp_path_factory.mktemp("course") / "course"
    shutil.copytree(FIXTURE_COURSE, root)
    for name, replacements in LONG_TITLES.items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        for short, long in replacements.items():
            assert short in text, f"{name} no longer has {short}"
            text = text.replace(short, long)
        path.write_text(text, encoding="utf-8")
    return load_course(root)


@pytest.fixture
def app_with_history(long_titled_course, store):
    """Two runs of hello-api (failing, then better), a failing whoami, one mentor note."""
    store.record_run(make_report("hello-api", passed=(True, False, False), points=(1, 1, 3),
                                 titles=LONG_CHECK_TITLES))
    latest = store.record_run(make_report("hello-api", passed=(True, True, False),
                                          points=(1, 1, 3), titles=LONG_CHECK_TITLES,
                                          started_at=FIXED_TIME + timedelta(minutes=7)),
                              server="node server.js")
    store.record_run(make_report("whoami", passed=(False,), points=(2,),
                                 titles=LONG_CHECK_TITLES[:1],
                                 started_at=FIXED_TIME + timedelta(minutes=9)))
    store.add_feedback(latest, "Mentor Mo", "Close! Your **POST** answers 500.\n\n"
                       "Return `201 Created` and a `Location` header.",
                       check_id="check-2", verdict="changes_requested")
    return ApilabApp(long_titled_course, store)


async def read(pilot, reading: str) -> None:
    """Wait until the screen's reading is rendered (in a thread) and shown."""
    shown = pilot.app.screen.query_one(reading, Reading)
    await wait_for(pilot, lambda: shown.rendered_width > 0)
    await pilot.pause()


def test_course_map(snap_compare, app_with_history, size):
    assert snap_compare(app_with_history, terminal_size=size)


def test_course_map_help(snap_compare, app_with_history, size):
    assert snap_compare(app_with_history, press=["question_mark"], terminal_size=size)


def test_lesson(snap_compare, app_with_history, size):
    async def open_lesson(pilot):
        app = pilot.app
        await app.push_screen(LessonScreen(app.course.lesson("1")))
        await read(pilot, "#reading-text")

    assert snap_compare(app_with_history, run_before=open_lesson, terminal_size=size)


def test_exercise_with_a_failed_check_open(snap_compare, app_with_history, size):
    async def open_exercise(pilot):
        app = pilot.app
        await app.push_screen(ExerciseScreen(app.course.exercise("hello-api")))
        await read(pilot, "#task-text")

    assert snap_compare(app_with_history, run_before=open_exercise, terminal_size=size)


def test_history(snap_compare, app_with_history, size):
    async def open_history(pilot):
        app = pilot.app
        await app.push_screen(ExerciseScreen(app.course.exercise("hello-api")))
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()

    assert snap_compare(app_with_history, run_before=open_history, terminal_size=size)


def test_history_diff(snap_compare, app_with_history, size):
    async def open_diff(pilot):
        app = pilot.app
        await app.push_screen(ExerciseScreen(app.course.exercise("hello-api")))
        await pilot.pause()
        await pilot.press("h", "d")
        await pilot.pause()

    assert snap_compare(app_with_history, run_before=open_diff, terminal_size=size)


def test_inbox(snap_compare, app_with_history, size):
    assert snap_compare(app_with_history, press=["i"], terminal_size=size)


def test_feedback_beside_its_report(snap_compare, app_with_history, size):
    assert snap_compare(app_with_history, press=["i", "enter"], terminal_size=size)
