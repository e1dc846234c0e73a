"""The exercise screen grading real servers: live progress, the report, the course map after."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3

import pytest
from textual.widgets import Input

from apilab.ports import free_port
from apilab.store import Store, StoreError
from apilab.store.errors import explain
from tests.helpers import grading, make_report, open_exercise, run_checks, wait_for
from tui.app import ApilabApp
from tui.screens.course_map import CourseMapScreen
from tui.widgets.course_list import ExerciseItem, LessonItem
from tui.widgets.reading import Reading
from tui.widgets.report_view import ReportView


async def test_the_solution_scores_full_marks_and_the_map_moves_on(
        fixture_course, store, hello_solution_url, monkeypatch):
    seen: list[tuple[str, str]] = []
    original = ReportView.show_result

    def spy(view, index, result):
        seen.append((result.id, result.status))
        original(view, index, result)

    monkeypatch.setattr(ReportView, "show_result", spy)
    app = ApilabApp(fixture_course, store, server_url=hello_solution_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        assert screen.query_one("#url", Input).value == hello_solution_url
        await run_checks(pilot, screen)
        # Each check was shown as it finished, in order, before the report.
        assert seen == [("health-ok", "pass"), ("missing-is-404", "pass"),
                        ("create-item", "pass")]
        assert (screen.report.status, screen.report.score, screen.report.max_score) == (
            "pass", 5, 5)
        view = screen.query_one(ReportView)
        assert [(row.check_id, row.state, row.collapsed) for row in view.rows] == [
            ("health-ok", "pass", True), ("missing-is-404", "pass", True),
            ("create-item", "pass", True)]
        assert "5/5 points, all checks passed" in str(view.query_one("#report-summary").render())
        # Recorded in the store.
        assert store.runs("hello-api")[0].id == screen.run_id
        assert store.progress()["hello-api"].status == "passed"

        await pilot.press("escape")
        assert isinstance(app.screen, CourseMapScreen)
        await pilot.pause()
        items = app.screen.items
        hello = next(i for i in items if isinstance(i, ExerciseItem)
                     and i.exercise.slug == "hello-api")
        whoami = next(i for i in items if isinstance(i, ExerciseItem)
                      and i.exercise.slug == "whoami")
        assert (hello.status, hello.progress.best_score, hello.is_next) == ("passed", 5, False)
        assert whoami.is_next and whoami.has_class("-next")
        lesson = next(i for i in items if isinstance(i, LessonItem))
        assert (lesson.passed, lesson.total) == (1, 1)


async def test_a_failed_check_opens_on_its_request_response_and_curl(
        fixture_course, store, hello_starter_url):
    app = ApilabApp(fixture_course, store, server_url=hello_starter_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await run_checks(pilot, screen)
        assert screen.report.status == "fail"
        view = screen.query_one(ReportView)
        states = {row.check_id: (row.state, row.collapsed) for row in view.rows}
        assert states == {"health-ok": ("pass", True), "missing-is-404": ("pass", True),
                          "create-item": ("fail", False)}
        detail = view.row("create-item").detail.plain
        assert f"POST {hello_starter_url}/items" in detail  # the request sent
        assert "HTTP/1.1 404 Not Found" in detail  # the response received
        assert "content-type: application/json" in detail.lower()  # its headers
        assert "Expected  status 201" in detail and "Received  status 404" in detail
        assert "Hint      Answer 201" in detail
        assert "RFC 9110 §15.3.2" in detail  # why, with its standard
        assert "curl" in detail
        await pilot.press("y")
        assert app.clipboard.startswith("curl") and "/items" in app.clipboard
        assert store.progress()["hello-api"].status == "failing"

        await pilot.press("escape")
        await pilot.pause()
        hello = next(i for i in app.screen.items if isinstance(i, ExerciseItem))
        assert (hello.status, hello.progress.best_score, hello.is_next) == ("failing", 2, True)


async def test_nothing_listening_says_how_to_start_the_server(fixture_course, store):
    url = f"http://127.0.0.1:{free_port()}"
    app = ApilabApp(fixture_course, store, server_url=url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await run_checks(pilot, screen)
        assert screen.report.status == "error"
        summary = str(screen.query_one("#report-summary").render())
        assert "nothing is listening" in summary and "press p" in summary
        assert screen.query_one(ReportView).rows == []


async def test_a_remote_url_is_refused_with_a_clear_message(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        screen.query_one("#url", Input).value = "http://example.com"
        await pilot.press("r")
        await wait_for(pilot, lambda: not grading(screen) and screen.runs_started == 1)
        summary = str(screen.query_one("#report-summary").render())
        assert "not this machine" in summary
        assert store.runs() == []


async def test_the_last_run_is_shown_when_the_exercise_opens(fixture_course, store):
    run_id = store.record_run(make_report(passed=(True, False, True)))
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.pause()
        assert screen.run_id == run_id
        rows = screen.query_one(ReportView).rows
        assert [(r.check_id, r.state) for r in rows] == [
            ("check-0", "pass"), ("check-1", "fail"), ("check-2", "pass")]


class BrokenStore(Store):
    """A store whose file went bad after opening, as a disk full or damaged file would."""

    def record_run(self, report, kind="check", **options):
        raise explain(self.path, sqlite3.DatabaseError("database disk image is malformed"))


async def test_a_damaged_store_is_a_message_not_a_crash(fixture_course, tmp_path,
                                                        hello_solution_url):
    store = BrokenStore(tmp_path / "progress.db")
    app = ApilabApp(fixture_course, store, server_url=hello_solution_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await run_checks(pilot, screen)
        # The result is still on screen; the problem is told, with what to do.
        assert screen.report.status == "pass" and screen.run_id is None
        assert app.store_problem and "mv " in app.store_problem
        # A notification reaches the screen as a message of its own, after the run has ended.
        await wait_for(pilot, lambda: any("Progress is not being saved" in (n.title or "")
                                          for n in app._notifications))
        await pilot.press("escape")
        await pilot.pause()
        problem = app.screen.query_one("#store-problem")
        assert problem.display and "database disk image is malformed" in str(problem.render())
    store.close()
    with pytest.raises(StoreError):
        BrokenStore(tmp_path / "progress.db").record_run(make_report())


async def test_only_the_first_failed_check_is_open(fixture_course, store):
    store.record_run(make_report(passed=(True, False, False)))
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.pause()
        rows = screen.query_one(ReportView).rows
        assert [(r.state, r.collapsed) for r in rows] == [
            ("pass", True), ("fail", False), ("fail", True)]
        checks = screen.query_one(ReportView).checks
        await pilot.click(checks, offset=(2, checks.lines_of(rows[2]).start))
        assert not rows[2].collapsed
        assert "Expected" in "\n".join(checks.text_of(rows[2]))  # its details, under its title
        await pilot.press("up", "enter")  # the keys: the row above, open, closes
        assert rows[1].collapsed and not rows[2].collapsed


async def test_u_is_in_the_footer_and_typed_letters_go_into_the_url(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        shown = {(b.binding.key, b.binding.description)
                 for b in screen.active_bindings.values() if b.binding.show}
        assert ("u", "URL") in shown
        await pilot.press("u")
        url = screen.query_one("#url", Input)
        assert app.focused is url
        await pilot.press("end", "h")
        # Letters are text while the field has focus, not the screen's keys (h is History).
        assert app.screen is screen
        assert url.value == "http://127.0.0.1:8001h"
        await pilot.press("escape", "h")
        assert type(app.screen).__name__ == "HistoryScreen"


async def test_long_code_in_the_task_wraps_instead_of_being_cut_off(fixture_course, store,
                                                                    monkeypatch):
    long_line = "apilab start hello-api    # copies the starter into work/hello-api/, then more"
    monkeypatch.setattr("tui.screens.exercise.read_text",
                        lambda _path: f"# Hello\n\n```sh\n{long_line}\n```\n")
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        task = screen.query_one("#task-text", Reading)
        await wait_for(pilot, lambda: task.rendered_width > 0)
        await pilot.pause()
        assert task.rendered_width == task.content_size.width < len(long_line)
        assert task.region.right <= screen.query_one("#task").region.right
        code = [line for line in task.plain.splitlines() if line.strip()][1:]
        assert len(code) > 1  # wrapped onto more lines
        assert all(len(line) <= task.rendered_width for line in code)
        shown = " ".join(" ".join(code).split())
        assert "copies the starter" in shown and "then more" in shown


async def test_a_long_check_title_wraps_and_keeps_its_points(fixture_course, store):
    report = make_report(passed=(True, True, True))
    report.checks[0].title = ("POST /items with a missing name answers 422 with a problem+json "
                              "body that names the field, as RFC 9457 describes")
    store.record_run(report)
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.pause()
        view = screen.query_one(ReportView)
        title = view.checks.text_of(view.rows[0])
        assert len(title) == 2
        assert all(len(line) <= view.checks.size.width for line in title)
        assert title[-1].endswith("1/1")


async def test_the_exercise_shows_its_standing_as_the_course_map_does(fixture_course, store):
    earlier = store.record_run(make_report(passed=(True, False, False)), "submit")
    store.add_feedback(earlier, "Mentor Mo", "Good start.", verdict="approved")
    store.record_run(make_report(passed=(True, True, True)))  # the best run, not reviewed
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.pause()
        standing = str(screen.query_one("#standing").render())
        assert standing == "Standing: 3/3 passed (an earlier attempt was approved)"


async def test_a_grading_process_ended_mid_run_says_so_and_the_next_run_starts_another(
        fixture_course, store):
    """The app grades in a child process: if it dies in the middle of a run, the learner reads
    what happened and what to do, nothing is recorded, and `r` grades again in a new one."""
    silent = socket.create_server(("127.0.0.1", 0))  # connections queue up, never answered
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    app = ApilabApp(fixture_course, store, server_url=url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.press("r")
        summary = lambda: str(screen.query_one("#report-summary").render())  # noqa: E731
        await wait_for(pilot, lambda: "Running check 1" in summary(), timeout=60)
        first = app.grading.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await wait_for(pilot, lambda: not grading(screen))
        assert "The grading process ended (exit code -9) in the middle of the run" in summary()
        assert "Press r to run the checks again" in summary()
        assert store.runs() == []
        silent.close()
        await run_checks(pilot, screen)
        assert "nothing is listening" in summary()
        assert app.grading.pid not in (None, first)
