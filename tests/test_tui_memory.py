"""Screens opened and closed leave nothing behind, and the open ones still follow the app.

A learner goes back and forth between the course map, a lesson and an exercise all day; what a
closed screen leaves in memory, every later full pass of the garbage collector walks, and the
app grows slower at each opening."""

from __future__ import annotations

import gc
import weakref
from collections import Counter

from textual._styles_cache import StylesCache
from textual.widget import Widget

from apilab.sandbox_control import SandboxState
from tests.helpers import make_report
from tui.app import ApilabApp
from tui.screens.exercise import ExerciseScreen
from tui.screens.history import HistoryScreen
from tui.screens.inbox import InboxScreen
from tui.screens.lab import LabScreen
from tui.screens.lesson import LessonScreen
from tui.screens.report import ReportScreen
from tui.widgets.sandbox_panel import SandboxPanel
from tui.widgets.title_bar import TitleBar


def census() -> Counter[str]:
    """The widgets alive, by class, and the drawn-line caches (one per widget ever drawn)."""
    gc.collect()
    alive: Counter[str] = Counter()
    for found in gc.get_objects():
        if isinstance(found, Widget | StylesCache):
            alive[type(found).__name__] += 1
    return alive


async def test_closed_screens_leave_no_widgets_or_drawn_lines_behind(fixture_course, store):
    # The collections below (a hundred or so) walk what this test makes, not what the worker's
    # earlier tests left alive, frozen out of their sight as collection froze what it loaded: in
    # a worker late in the suite, they took twice the test's own time.
    gc.collect()
    gc.freeze()
    exercise = fixture_course.exercise("hello-api")
    report = make_report(passed=(True, False, True))
    run_id = store.record_run(report)
    app = ApilabApp(fixture_course, store, health_interval=3600, progress_interval=3600)
    openers = [lambda: LessonScreen(fixture_course.lessons[0]), lambda: ExerciseScreen(exercise),
               lambda: HistoryScreen(exercise), lambda: ReportScreen(report, run_id), InboxScreen,
               LabScreen]
    async with app.run_test(size=(80, 24)) as pilot:

        async def open_and_close_each() -> None:
            for make in openers:
                screen = make()
                await app.push_screen(screen)
                await pilot.pause()
                await app.pop_screen()
                closed, screen = weakref.ref(screen), None
                # Textual still refers to the screen it just closed for a moment
                for _ in range(100):
                    await pilot.pause(0.01)
                    gc.collect()
                    if closed() is None:
                        break

        await open_and_close_each()  # what is meant to be kept for the next opening, kept
        before = census()
        for _ in range(3):
            await open_and_close_each()
        after = census()
    assert after == before, f"left behind: {after - before}"


async def test_every_open_screen_follows_the_apps_titles_and_the_sandbox(fixture_course, store):
    """The title bars and the sandbox panels follow the app without watching it (a watcher kept
    them alive): each screen in the stack shows a new subtitle and a new sandbox state."""
    app = ApilabApp(fixture_course, store, health_interval=3600, progress_interval=3600)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(LessonScreen(fixture_course.lessons[0]))
        await app.push_screen(LessonScreen(fixture_course.lessons[1]))
        await pilot.pause()
        app.sub_title = "a new subtitle"
        app.sandbox_state = SandboxState("failed", message="port 8000 is taken")
        await pilot.pause()
        for screen in app.screen_stack:
            assert "a new subtitle" in str(screen.query_one(TitleBar).render())
        panels = [screen.query_one(SandboxPanel) for screen in app.screen_stack[1:]]
        assert all("port 8000 is taken" in str(panel.render()) for panel in panels)


async def test_the_app_freezes_what_it_loaded_and_thaws_only_its_own_freeze(fixture_course, store):
    # In a process of its own, the app freezes what is loaded when it starts and thaws it at its
    # end; in a process that froze objects before it (this test runner), it leaves that freeze
    # alone, as its thaw would undo it.
    def run_app():
        return ApilabApp(fixture_course, store, health_interval=3600, progress_interval=3600)

    # Frozen objects still die when nothing refers to them (the count falls as caches let go),
    # so the runner's freeze is followed through one object of its own, not through the count: a
    # frozen object is in none of the collector's generations, a thawed one is back in them.
    frozen_by_the_runner: list[str] = []
    gc.freeze()
    assert gc.get_freeze_count() > 0
    async with run_app().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert not any(found is frozen_by_the_runner for found in gc.get_objects()), \
        "the app thawed a freeze that was not its own"

    gc.unfreeze()  # as in a process that froze nothing before the app
    try:
        async with run_app().run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
    finally:
        gc.freeze()
