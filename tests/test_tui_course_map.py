"""The course map: lessons in order, exercise statuses, the next step, keys and help."""

from __future__ import annotations

import pytest
from textual.widgets import ProgressBar

from tests.conftest import make_report
from tui.app import ApilabApp
from tui.screens.course_map import CourseMapScreen
from tui.screens.exercise import ExerciseScreen
from tui.screens.help import HelpScreen
from tui.screens.inbox import InboxScreen
from tui.screens.lesson import LessonScreen
from tui.widgets.course_list import ExerciseItem, LessonItem


@pytest.fixture(autouse=True)
def apilab_home(tmp_path, monkeypatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "home"))


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
        bars = [bar.progress for bar in app.screen.query(ProgressBar)]
        assert bars == [0, 0]
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
