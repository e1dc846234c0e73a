"""The course map: lessons in order, exercise statuses, the next step, keys and help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from apilab.catalog.cache import kept_course
from apilab.sandbox_control import SandboxState
from apilab.store import Store
from tests.helpers import FIXTURE_COURSE, make_report, wait_for
from tui.app import ApilabApp
from tui.screens.course_map import CourseMapScreen, how_to_text
from tui.screens.exercise import ExerciseScreen
from tui.screens.help import HelpScreen
from tui.screens.inbox import InboxScreen
from tui.screens.lesson import LessonScreen
from tui.widgets.course_list import ExerciseItem, LessonItem


def rows(app: ApilabApp) -> list[tuple[str, str]]:
    """The course map as (kind, text) pairs, in screen order."""
    screen = app.screen
    assert isinstance(screen, CourseMapScreen)
    found = []
    for item in screen.items:
        if isinstance(item, LessonItem):
            found.append(("lesson", item.lesson.slug))
        else:
            found.append((item.status + ("*" if item.is_next else ""), item.exercise.slug))
    return found


async def test_lessons_and_exercises_in_course_order(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert rows(app) == [("lesson", "http-basics"), ("not_started*", "hello-api"),
                             ("lesson", "auth-basics"), ("not_started", "whoami")]
        counts = [[cell.plain for cell in item.cells()] for item in app.screen.items
                  if isinstance(item, LessonItem)]
        assert counts == [["", "   0%", "0/1 passed"], ["", "   0%", "0/1 passed"]]
        # The cursor starts on the next step.
        assert app.screen.query_one("#course-list").index == 1


async def test_statuses_scores_and_next_step_come_from_the_store(fixture_course, store):
    store.record_run(make_report("hello-api", passed=(True, True, True), points=(1, 1, 3)))
    store.record_run(make_report("whoami", passed=(False,), points=(2,)))
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert rows(app) == [("lesson", "http-basics"), ("passed", "hello-api"),
                             ("lesson", "auth-basics"), ("failing*", "whoami")]
        items = [i for i in app.screen.items if isinstance(i, ExerciseItem)]
        assert [(i.progress.best_score, i.exercise.max_score) for i in items] == [(5, 5), (0, 2)]
        lessons = [i for i in app.screen.items if isinstance(i, LessonItem)]
        assert [(i.passed, i.total) for i in lessons] == [(1, 1), (0, 1)]
        assert [cell.plain for cell in lessons[0].cells()][1:] == [" 100%", "1/1 passed"]
        assert [cell.plain for cell in lessons[0].cells(narrow=True)][1:] == ["  ", "1/1 passed"]
        assert "apilab check whoami" in str(app.screen.query_one("#how-to").render())


async def test_enter_opens_lessons_and_exercises_and_escape_comes_back(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("up", "enter")
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.slug == "http-basics"
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)
        await pilot.press("down", "enter")
        assert isinstance(app.screen, ExerciseScreen)
        assert app.screen.exercise.slug == "hello-api"
        await pilot.press("escape")
        await pilot.press("n")
        assert isinstance(app.screen, ExerciseScreen)


async def test_clicking_a_row_opens_it(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        whoami = [i for i in app.screen.items if isinstance(i, ExerciseItem)][1]
        await pilot.click(whoami)
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        assert app.screen.exercise.slug == "whoami"


async def test_question_mark_lists_every_key_of_the_screen(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert {"Open", "Next step", "Quit", "Inbox", "Sandbox", "Keys"} <= {
            description for _key, description in app.screen.rows}
        assert ("n", "Next step") in app.screen.rows
        assert ("^q, q", "Quit") in app.screen.rows
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)


async def test_every_course_map_action_is_in_the_footer(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = {b.binding.description for b in app.screen.active_bindings.values()
                 if b.binding.show}
        assert {"Open", "Next step", "Quit", "Keys", "Inbox", "Sandbox"} <= shown


async def test_unread_feedback_count_is_in_the_header_and_opens_the_inbox(fixture_course, store):
    run_id = store.record_run(make_report())
    store.add_feedback(run_id, "Mentor Mo", "Look at the **Location** header.",
                       check_id="check-2", verdict="revise")
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.unread == 1
        assert "1 unread" in app.sub_title
        await pilot.press("i")
        assert isinstance(app.screen, InboxScreen)


async def test_the_first_enter_after_launch_opens_the_next_step(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.focused is app.screen.query_one("#course-list")
        await pilot.press("enter")
        assert isinstance(app.screen, ExerciseScreen)
        assert app.screen.exercise.slug == "hello-api"


def test_opening_a_screen_does_not_wait_for_jupyter_to_import():
    """nbformat takes over a second to import: imported with the lesson screen, it froze the
    first Enter on the course map long enough for the learner to think it was lost."""
    code = ("import sys, tui.app, tui.screens.course_map, tui.screens.exercise, "
            "tui.screens.lesson; print(sorted({'nbformat', 'jupyter_client'} & set(sys.modules)))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, cwd=Path(__file__).parent.parent)
    assert found.stdout.strip() == "[]"



async def test_runs_recorded_from_another_terminal_show_up_on_the_map(fixture_course, store):
    app = ApilabApp(fixture_course, store, progress_interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        drawn = app.screen.items
        await pilot.pause(0.35)  # a few refreshes with nothing new: the rows are not redrawn
        assert app.screen.items == drawn
        # `apilab check` in another terminal: its own connection to the same file.
        with Store(store.path) as elsewhere:
            elsewhere.record_run(make_report("hello-api", passed=(True, True, True)))
        listing = app.screen.query_one("#course-list")
        await wait_for(pilot, lambda: rows(app)[1] == ("passed", "hello-api")
                       and listing.index is not None)
        assert rows(app)[3] == ("not_started*", "whoami")
        assert listing.index == 1  # the cursor stayed put


def test_the_next_step_suggests_apilab_sandbox_only_when_it_is_not_running(fixture_course):
    upcoming = fixture_course.exercise("hello-api")
    assert "apilab sandbox" in how_to_text(1, upcoming, sandbox_running=False).plain
    assert "apilab sandbox" not in how_to_text(1, upcoming, sandbox_running=True).plain


async def test_the_next_step_follows_the_apps_sandbox(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        how_to = app.screen.query_one("#how-to")
        assert "apilab sandbox" in str(how_to.render())
        app.sandbox_state = SandboxState("running", "http://127.0.0.1:8000", healthy=True)
        await pilot.pause()
        assert "apilab sandbox" not in str(how_to.render())
        assert "apilab start hello-api" in str(how_to.render())
        app.sandbox_state = SandboxState("off")
        await pilot.pause()
        assert "apilab sandbox" in str(how_to.render())


async def test_a_lesson_with_the_lab_shows_the_flags_captured(store):
    from apilab.catalog.loader import load_course

    course = load_course(Path(__file__).resolve().parent.parent)
    store.record_flag("bola", "API1")
    store.record_flag("ssrf", "API7")
    app = ApilabApp(course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lessons = {i.lesson.slug: i for i in app.screen.items if isinstance(i, LessonItem)}
        assert lessons["security"].flags == (2, 9)
        assert all(item.flags is None for slug, item in lessons.items() if slug != "security")
        shown = [[cell.plain for cell in lessons[slug].cells()] for slug in ("security", "rest-http")]
        assert shown == [["⚑ 2/9 flags", "", "   0%", "0/1 passed"], ["", "   0%", "0/1 passed"]]


# The first screen, painted as `apilab` paints it: from the kept course and the store.
FIRST_SCREEN = """
import sys
from pathlib import Path
from apilab.catalog.cache import kept_course
from apilab.store import Store
from tui.app import ApilabApp

async def painted(pilot):
    await pilot.pause()
    print(len(pilot.app.screen.items), sorted(set(sys.argv[3:]) & set(sys.modules)))
    pilot.app.exit()

app = ApilabApp(kept_course(Path(sys.argv[1])), Store(sys.argv[2]))
app._load_ahead = lambda: None  # what is loaded once the map is painted: not here
app.run(headless=True, size=(120, 40), auto_pilot=painted)
"""


def test_the_app_starts_without_loading_what_its_first_screen_does_not_use(tmp_path):
    """Each of these took a noticeable part of the app's start: the grader's report models and
    the hub's protocol (the map reads progress, not reports), Markdown and syntax highlighting
    (no reading is open yet), pydantic and the course's models (the map shows the course's
    outline, kept beside the course), the search for sqlite-utils plugins in every installed
    package's metadata, sqlite-utils itself (the store opens and reads with sqlite3 when its
    schema is up to date, as it is after the first start), and psutil and ctypes (wanted when
    the app first starts or stops a program, not to draw the map)."""
    course, database = FIXTURE_COURSE, tmp_path / "progress.db"
    kept_course(course)  # kept, and the store created, as at an earlier start
    Store(database).close()
    unused = ["grader.report", "hub.protocol", "markdown_it", "pygments", "pydantic",
              "apilab.catalog.models", "importlib.metadata", "sqlite_utils", "psutil", "ctypes"]
    found = subprocess.run([sys.executable, "-c", FIRST_SCREEN, str(course), str(database),
                            *unused], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).parent.parent)
    assert found.stdout.strip() == "4 []", "the map's rows, painted, and none of those"
