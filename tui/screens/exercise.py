"""An exercise: the task, the learner's server, and the grader's report, live.

Grading runs in a worker (the grader is async), so the screen keeps answering while checks run.
The learner's server can run from here too (uvicorn --reload in their workspace, its log shown),
and watch mode re-runs the checks whenever a file in the workspace changes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, Log, Markdown, Static
from textual.worker import Worker

from apilab import paths
from apilab.catalog.models import Exercise
from apilab.ports import SERVER_PORT, port_in_use
from apilab.processes import LaunchError, ensure_workspace, server_command
from apilab.submissions import grade_and_record
from apilab.untrusted import clean
from grader.report import Report
from grader.runner import Progress
from grader.target import TargetError
from tui.screens.base import ApilabScreen
from tui.screens.lesson import read_text
from tui.widgets.report_view import ReportView, summary_line

# Lines in a server's output that mean it did not start (uvicorn keeps its reloader running).
STARTUP_ERRORS = ("Error loading ASGI app", "SyntaxError", "ModuleNotFoundError",
                  "ImportError", "NameError", "IndentationError", "address already in use")


class ExerciseScreen(ApilabScreen):
    """The task on the left; the server URL, the checks and the server's log on the right."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "run_checks", "Run checks"),
        Binding("t", "submit", "Submit"),
        Binding("y", "copy_curl", "Copy curl"),
        Binding("p", "toggle_server", "Serve"),
        Binding("w", "toggle_watch", "Watch"),
        Binding("h", "history", "History"),
        Binding("u", "edit_url", "URL"),
    ]

    def __init__(self, exercise: Exercise, reload_delay: float = 1.5) -> None:
        super().__init__()
        self.exercise = exercise
        self.report: Report | None = None
        self.run_id: str | None = None
        self.runs_started = 0
        self.server: subprocess.Popen[bytes] | None = None
        self.watching = False
        self.reload_delay = reload_delay  # after a change, give uvicorn time to reload
        self._watch_worker: Worker[None] | None = None
        self._watch_stop = asyncio.Event()

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="exercise-body"):
            with VerticalScroll(id="task"):
                yield Markdown(read_text(self.exercise.readme), id="task-text")
            with Vertical(id="work"):
                with Horizontal(id="url-row"):
                    yield Label("Your server (u)", id="url-label")
                    yield Input(self.apilab.server_url, id="url", placeholder=f"http://127.0.0.1:{SERVER_PORT}")
                yield Static(id="mode-line")
                yield ReportView(id="report")
                yield Log(id="server-log", max_lines=1000)
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        self.title = f"Exercise {self.exercise.number}: {self.exercise.title}"
        self.query_one("#server-log", Log).display = False
        self._show_mode()
        self.query_one(ReportView).focus()
        await self._show_last_run()

    async def _show_last_run(self) -> None:
        app = self.apilab
        runs = app.safe_store(app.store.runs, self.exercise.slug, limit=1, default=[])
        if not runs:
            return
        report = app.safe_store(app.store.report, runs[0].id, default=None)
        if report is not None:
            self.report, self.run_id = report, runs[0].id
            await self.query_one(ReportView).show_report(report)

    def on_unmount(self) -> None:
        self._stop_watch(redraw=False)
        self._stop_server(redraw=False)

    @property
    def url(self) -> str:
        return self.query_one("#url", Input).value.strip()

    @property
    def workspace(self) -> Path:
        return paths.workspace(self.apilab.course.root, self.exercise.slug)

    def _show_mode(self) -> None:
        text = Text()
        if self.server is not None and self.server.poll() is None:
            text.append("● serving ", style="green").append(f"{self.workspace} ", style="dim")
        else:
            text.append("○ not serving (p) ", style="dim")
        if self.watching:
            text.append(" ● watching: checks re-run on save", style="green")
        else:
            text.append(" ○ watch off (w)", style="dim")
        self.query_one("#mode-line", Static).update(text)

    # --- actions ------------------------------------------------------------------------------

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(ReportView).focus()
        else:
            self.app.pop_screen()

    def action_edit_url(self) -> None:
        self.query_one("#url", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(ReportView).focus()
        self.action_run_checks()

    def action_run_checks(self) -> None:
        self.run_checks()

    def action_copy_curl(self) -> None:
        curl = self.query_one(ReportView).selected_curl()
        if curl is None:
            self.notify("No request to copy: run the checks, then pick a failed check.",
                        severity="warning")
            return
        self.app.copy_to_clipboard(curl)
        self.notify(curl, title="Copied to the clipboard")

    def action_history(self) -> None:
        from tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.exercise))

    # --- grading ------------------------------------------------------------------------------

    def action_submit(self) -> None:
        self.run_checks(submit=True)

    @work(exclusive=True, group="grading")
    async def run_checks(self, submit: bool = False) -> Report | None:
        """Grade the server at the URL, showing each check as it runs; record the run.

        A submission includes the hidden checks and, when this machine has joined a hub, goes
        out through the outbox.
        """
        app, view = self.apilab, self.query_one(ReportView)
        self.runs_started += 1
        await view.show_pending(self.exercise.visible_checks(include_hidden=submit))

        def on_progress(progress: Progress) -> None:
            if progress.result is None:
                view.show_running(progress.index, progress.total, progress.check)
            else:
                view.show_result(progress.index, progress.result)

        try:
            sandbox = app.sandbox_state  # the app's own sandbox, wherever it had to start
            recorded = await grade_and_record(
                self.exercise, self.url, app.store, submit=submit,
                send_to_hub=submit and app.hub is not None, on_progress=on_progress,
                services={"sandbox": sandbox.url} if sandbox.phase == "running" and sandbox.url else None,
                start_hint=f"Start your server first: press p to run it here, or run "
                           f"apilab serve {self.exercise.slug} in a terminal.")
        except TargetError as exc:
            view.clear_report(str(exc))
            self.notify(str(exc), title="Cannot grade this URL", severity="error")
            return None
        except Exception as exc:  # a platform bug must not take the app down with it
            view.clear_report(f"The grader failed: {exc!r}. Please report this.")
            self.notify(repr(exc), title="The grader failed", severity="error")
            return None
        report, self.report, self.run_id = recorded.report, recorded.report, recorded.run_id
        if recorded.warning:
            app.store_failed(recorded.warning)
        await view.show_report(report)
        if submit and recorded.run_id:
            app.sync_with_hub()
        severity = {"pass": "information", "fail": "warning", "error": "error"}[report.status]
        self.notify(summary_line(report), title=self.exercise.title, severity=severity)
        return report

    # --- the learner's server -----------------------------------------------------------------

    def action_toggle_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self._stop_server()
            self.notify("Your server is stopped.")
        else:
            self.start_server()

    def start_server(self) -> None:
        """Run the learner's workspace with uvicorn --reload on the URL's port."""
        app = self.apilab
        try:
            folder, created = ensure_workspace(app.course, self.exercise)
        except LaunchError as exc:
            self.notify(str(exc), title="Your server did not start", severity="error")
            return
        if created:
            self.notify(f"Your workspace is ready: {folder} (a copy of the starter).",
                        title="Workspace created")
        if not (folder / "app.py").is_file():
            self.notify(f"{folder} has no app.py. The app runs Python (FastAPI) servers; for "
                        "another language, start your server yourself and press r.",
                        title="Your server did not start", severity="error", timeout=15)
            return
        try:
            port = urlsplit(self.url).port or SERVER_PORT
        except ValueError:
            self.notify(f"{self.url} has an invalid port. Fix the URL (press u), then p again.",
                        title="Your server did not start", severity="error")
            return
        if port_in_use("127.0.0.1", port):
            self.notify(f"Port {port} is already in use: is your server already running "
                        "somewhere else? Press r to check it, stop it, or change the URL.",
                        title="Your server did not start", severity="error", timeout=15)
            return
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            self.server = app.processes.spawn(server_command(port), cwd=folder, env=env,
                                              pipe_output=True)
        except LaunchError as exc:
            self.notify(str(exc), title="Your server did not start", severity="error")
            return
        log = self.query_one("#server-log", Log)
        log.clear()
        log.display = True
        log.write_line(f"$ uvicorn app:app --reload --port {port}   (in {folder})")
        self._pump_log(self.server)
        self._show_mode()

    @work(thread=True, group="server-log")
    def _pump_log(self, server: subprocess.Popen[bytes]) -> None:
        warned = False
        assert server.stdout is not None
        for raw in server.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.app.call_from_thread(self._server_line, line)
            if not warned and any(marker in line for marker in STARTUP_ERRORS):
                warned = True
                self.app.call_from_thread(
                    self.notify, f"{line}\nFix it and save: the server reloads by itself.",
                    title="Your server did not start", severity="error", timeout=15)
        code = server.wait()
        self.app.call_from_thread(self._server_exited, server, code)

    def _server_line(self, line: str) -> None:
        if self.server is not None:  # not after leaving the screen
            self.query_one("#server-log", Log).write_line(clean(line))

    def _server_exited(self, server: subprocess.Popen[bytes], code: int) -> None:
        if server is not self.server:  # stopped on purpose, or the screen is gone
            return
        self.server = None
        self._show_mode()
        if code not in (0, -15):  # -15: we stopped it
            self.notify(f"Your server exited with code {code}; its log is below.",
                        title="Your server stopped", severity="error", timeout=15)

    def _stop_server(self, redraw: bool = True) -> None:
        server, self.server = self.server, None
        if server is not None:
            self.apilab.processes.stop(server.pid)
        if redraw:
            self._show_mode()

    # --- watch mode ---------------------------------------------------------------------------

    def action_toggle_watch(self) -> None:
        if self.watching:
            self._stop_watch()
            self.notify("Watch mode is off.")
            return
        if not self.workspace.is_dir():
            self.notify("There is no workspace to watch yet: press p to create it from the "
                        f"starter and run it, or run: apilab start {self.exercise.slug}",
                        severity="warning")
            return
        self.watching = True
        self._watch_stop = asyncio.Event()
        self._watch_worker = self._watch(self.workspace)
        self._show_mode()
        self.notify(f"Watching {self.workspace}: the checks run again each time you save.")

    @work(group="watch", exclusive=True)
    async def _watch(self, folder: Path) -> None:
        from watchfiles import awatch

        async for _changes in awatch(folder, stop_event=self._watch_stop, debounce=300):
            await asyncio.sleep(self.reload_delay)
            if not self.watching:
                break
            self.run_checks()

    def _stop_watch(self, redraw: bool = True) -> None:
        self.watching = False
        self._watch_stop.set()
        if self._watch_worker is not None:
            self._watch_worker.cancel()
            self._watch_worker = None
        if redraw:
            self._show_mode()
