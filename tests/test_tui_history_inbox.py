"""Past runs (open, compare) and the mentor feedback inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable

from grader.report_diff import CheckChange, diff_reports
from tests.helpers import FIXED_TIME, make_report, open_exercise
from tui.app import ApilabApp
from tui.screens.course_map import CourseMapScreen
from tui.screens.exercise import ExerciseScreen
from tui.screens.history import DiffScreen, HistoryScreen
from tui.screens.inbox import FeedbackItem, InboxScreen
from tui.screens.report import ReportScreen
from tui.widgets.report_view import ReportView


def record(store, passed, minutes, exercise="hello-api"):
    return store.record_run(make_report(exercise, passed=passed,
                                        started_at=FIXED_TIME + timedelta(minutes=minutes)))


def test_diff_reports_names_fixed_broken_new_and_gone():
    older = make_report(passed=(False, True, True))
    newer = make_report(passed=(True, False))
    assert diff_reports(older, newer) == [
        CheckChange("check-0", "Check number 0", "fail", "pass"),
        CheckChange("check-1", "Check number 1", "pass", "fail"),
        CheckChange("check-2", "Check number 2", "pass", None),
    ]
    assert [c.label for c in diff_reports(older, newer)] == ["fixed", "broken", "gone"]
    assert diff_reports(newer, newer) == []


async def test_history_lists_runs_newest_first_and_opens_one(fixture_course, store):
    first = record(store, (False, False, False), 0)
    second = record(store, (True, False, True), 5)
    record(store, (True,), 9, exercise="whoami")
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_exercise(pilot, app)
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert [run.id for run in screen.runs] == [second, first]
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert [str(c) for c in table.get_row_at(0)[3:5]] == ["failed", "2/3"]
        await pilot.press("down", "enter")
        assert isinstance(app.screen, ReportScreen)
        assert app.screen.run_id == first
        await pilot.pause()
        assert [row.state for row in app.screen.query_one(ReportView).rows] == [
            "fail", "fail", "fail"]
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, ExerciseScreen)


async def test_history_shows_which_server_and_url_each_run_graded(fixture_course, store):
    store.record_run(make_report(started_at=FIXED_TIME), server="node server.js")
    store.record_run(make_report(started_at=FIXED_TIME + timedelta(minutes=5)))
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_exercise(pilot, app)
        await pilot.press("h")
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(index)[-2:]] for index in range(2)]
        assert rows == [["http://127.0.0.1:8001", "—"],  # a server the learner ran themselves
                        ["http://127.0.0.1:8001", "node server.js"]]


async def test_diff_with_the_previous_run_or_a_marked_one(fixture_course, store):
    record(store, (False, False, False), 0)
    record(store, (True, False, False), 5)
    record(store, (True, True, False), 9)
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_exercise(pilot, app)
        await pilot.press("h", "d")
        assert isinstance(app.screen, DiffScreen)
        assert [(c.id, c.label) for c in app.screen.changes] == [("check-1", "fixed")]
        await pilot.press("escape")
        # Mark the oldest run, go back to the newest: two checks fixed since.
        await pilot.press("down", "down", "m", "up", "up", "d")
        assert isinstance(app.screen, DiffScreen)
        assert [(c.id, c.label) for c in app.screen.changes] == [
            ("check-0", "fixed"), ("check-1", "fixed")]


async def test_inbox_opens_a_note_beside_its_report_and_marks_it_read(fixture_course, store):
    run_id = record(store, (True, True, False), 0)
    store.add_feedback(run_id, "Mentor Mo", "Earlier note.")
    note = store.add_feedback(run_id, "Mentor Mo", "Look at **Location**.",
                              check_id="check-2", verdict="revise")
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.unread == 2 and "2 unread" in app.sub_title
        await pilot.press("i")
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        await pilot.pause()
        items = list(inbox.query(FeedbackItem))
        assert [i.note.id for i in items] == [note, items[1].note.id]
        assert all(i.has_class("-unread") for i in items)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        assert screen.feedback.id == note and screen.run_id == run_id
        await pilot.pause()
        assert "Look at" in screen.query_one("#feedback-body").source
        rows = screen.query_one(ReportView).rows
        assert [(r.check_id, r.collapsed) for r in rows] == [
            ("check-0", True), ("check-1", True), ("check-2", False)]
        assert app.unread == 1 and "1 unread" in app.sub_title
        assert note not in [n.id for n in store.feedback(unread_only=True)]
        await pilot.press("escape")
        await pilot.pause()
        assert [i.has_class("-unread") for i in inbox.query(FeedbackItem)] == [False, True]
        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)


async def test_an_empty_inbox_says_so(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert "No feedback yet" in str(app.screen.query_one("#inbox-summary").render())
        assert app.sub_title == "Fixture course"


def test_run_app_stops_everything_even_when_the_app_crashes(fixture_course, store, monkeypatch):
    import tui
    from tui.app import ApilabApp as App

    stopped = []

    def crash(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(App, "run", crash)
    monkeypatch.setattr(App, "stop_processes", lambda self, final=False: stopped.append(self))
    with pytest.raises(RuntimeError, match="boom"):
        tui.run_app(fixture_course, store, start_sandbox=False)
    assert len(stopped) == 1
    with pytest.raises(Exception, match="closed"):
        store.runs()
