"""An exercise: the task, the learner's server, and the grader's report, live.

Grading runs in a worker (the grader is async), so the screen keeps answering while checks run.
The learner's server can run from here too, in any language (`apilab.serving`: restarted on save,
following the workspace if it is reset or removed, its log shown), and watch mode re-runs the
checks whenever the server is back up after a save, or a file changes when it runs elsewhere.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Log, Static
from textual.worker import Worker

from apilab import launches
from apilab.catalog.models import Exercise
from apilab.check_watch import LISTEN_WAIT, RELOAD_DELAY
from apilab.grading_process import GradingProcessError
from apilab.ports import SERVER_PORT, port_in_use
from apilab.processes import LaunchError, ensure_workspace
from apilab.server_commands import CommandError, ServerCommand, resolve
from apilab.serving import FolderEvent, ServerEvent, ServerSupervisor, follow
from apilab.submissions import grade_and_record
from apilab.untrusted import clean, safe_text
from apilab.views.progress import score_label, standing_text
from apilab.workspace import exercise_folder
from grader.report import Report
from grader.runner import Progress
from grader.target import TargetError, until_listening
from tui.screens.base import ApilabScreen
from tui.screens.lesson import read_text
from tui.widgets.key_footer import KeyFooter
from tui.widgets.reading import Reading
from tui.widgets.report_view import ReportView, summary_line
from tui.widgets.title_bar import TitleBar

# Server events worth a notification, and how loud.
NOTIFIED = {"exited": "error", "failed": "error", "not-listening": "warning", "gone": "warning",
            "replaced": "warning", "back": "information"}


class ExerciseScreen(ApilabScreen):
    """The task on the left; the server URL, the checks and the server's log on the right."""

    # In the order the footer shows them, most used first: a narrow one leaves out the last.
    BINDINGS = [
        Binding("r", "run_checks", "Run checks"),
        Binding("t", "submit", "Submit"),
        Binding("p", "toggle_server", "Serve"),
        Binding("w", "toggle_watch", "Watch"),
        Binding("u", "edit_url", "URL"),
        Binding("h", "history", "History"),
        Binding("escape", "back", "Back"),
        Binding("y", "copy_curl", "Copy curl"),
        Binding("c", "edit_command", "Server command", show=False),  # in the mode line and ?
    ]
    AUTO_FOCUS = "ReportView"  # where the keys act; focused as it mounts, not after, which
    # would style the task and the report again for focus moved from one to the other

    def __init__(self, exercise: Exercise, reload_delay: float = RELOAD_DELAY) -> None:
        super().__init__()
        self.exercise = exercise
        self.report: Report | None = None
        self.run_id: str | None = None
        self.runs_started = 0
        self.supervisor: ServerSupervisor | None = None
        self.watching = False
        self.reload_delay = reload_delay  # after a change, give a server run elsewhere time to reload
        self.workspace_gone = False
        self._watch_worker: Worker[None] | None = None
        self._watch_stop = asyncio.Event()

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="exercise-body"):
            with VerticalScroll(id="task"):
                yield Reading(read_text(self.exercise.readme), id="task-text")
            with Vertical(id="work"):
                with Horizontal(id="url-row"):
                    yield Label("Your server (u)", id="url-label")
                    yield Input(self.apilab.server_url, id="url", placeholder=f"http://127.0.0.1:{SERVER_PORT}")
                yield Static(id="standing")
                yield Static(id="mode-line")
                yield ReportView(id="report")
                yield Log(id="server-log", max_lines=1000)
        yield KeyFooter()

    async def on_mount(self) -> None:
        self.title = f"Exercise {self.exercise.number}: {self.exercise.title}"
        self.query_one("#server-log", Log).display = False
        self._show_mode()
        await self._show_last_run()

    def on_screen_resume(self) -> None:
        self.show_standing()  # when it opens, and again on return: a review may have come in

    def show_standing(self) -> None:
        """The exercise's standing as the course map gives it: the best run, with its review."""
        app = self.apilab
        state = app.safe_store(app.store.progress, default={}).get(self.exercise.slug)
        self.query_one("#standing", Static).update(safe_text(
            f"Standing: {score_label(self.exercise, state)} {standing_text(state)}"))

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
        self.report = None  # freed now, not at the collector's next full pass (CheckList)

    @property
    def url(self) -> str:
        return self.query_one("#url", Input).value.strip()

    @property
    def workspace(self) -> Path:
        return exercise_folder(self.apilab.course.root, self.exercise.slug)

    @property
    def server(self) -> subprocess.Popen[bytes] | None:
        """The learner's server process while the app runs it."""
        return self.supervisor.child if self.supervisor else None

    @property
    def serving(self) -> bool:
        return self.supervisor is not None

    def _show_mode(self) -> None:
        # Watch first: its state is short, and the server's command after it may be long
        # (the line wraps rather than hiding what follows).
        text = Text()
        if self.watching:
            text.append("● watching: checks re-run on save  ", style="green")
        else:
            text.append("○ watch off (w)  ", style="dim")
        supervisor = self.supervisor
        if supervisor is None:
            text.append("○ not serving (p; c sets the command)", style="dim")
        elif self.workspace_gone:
            text.append("○ workspace gone: waiting for it", style="yellow")
        else:
            state, style = (("listening", "green") if supervisor.listening else
                            ("starting", "yellow") if supervisor.running else ("stopped", "red"))
            text.append(f"● {state}: ", style=style).append(clean(supervisor.command.shown),
                                                              style="dim")
        self.query_one("#mode-line", Static).update(text)

    # --- actions ------------------------------------------------------------------------------

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(ReportView).focus()
        else:
            self.app.pop_screen()

    def action_edit_url(self) -> None:
        # At once, not deferred as focus() is: what is typed next, even quickly, is the URL.
        self.set_focus(self.query_one("#url", Input))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(ReportView).focus()
        self.apilab.remember_server_url(self.url)
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
            server = await asyncio.to_thread(self._server_at, self.url)
            sandbox = app.sandbox_state  # the app's own sandbox, wherever it had to start
            recorded = await grade_and_record(
                self.exercise, self.url, app.store, submit=submit,
                send_to_hub=submit and app.hub is not None, on_progress=on_progress, by_stage=True,
                services={"sandbox": sandbox.url} if sandbox.phase == "running" and sandbox.url else None,
                start_hint=f"Start your server first: press p to run it here, or run "
                           f"apilab serve {self.exercise.slug} in a terminal.", server=server,
                grade_with=app.grading.grade)
        except TargetError as exc:
            view.clear_report(str(exc))
            self.notify(str(exc), title="Cannot grade this URL", severity="error")
            return None
        except GradingProcessError as exc:  # it ended mid-run; the next run starts another
            view.clear_report(str(exc))
            self.notify(str(exc), title="The run stopped", severity="error")
            return None
        except Exception as exc:  # a platform bug must not take the app down with it
            view.clear_report(f"The grader failed: {exc!r}. Please report this.")
            self.notify(repr(exc), title="The grader failed", severity="error")
            return None
        report, self.report, self.run_id = recorded.report, recorded.report, recorded.run_id
        if recorded.warning:
            app.store_failed(recorded.warning)
        await view.show_report(report)
        self.show_standing()
        if submit and recorded.run_id:
            app.sync_with_hub()
        severity = {"pass": "information", "fail": "warning", "error": "error"}[report.status]
        self.notify(summary_line(report), title=self.exercise.title, severity=severity)
        return report

    def _server_at(self, url: str) -> str | None:
        """The command serving `url`, when apilab runs it; a server an earlier, killed apilab
        left there is stopped first (and the learner told), never graded. Blocks: a thread."""
        for notice in launches.stop_leftovers():
            self.app.call_from_thread(self.notify, notice, title="Cleaned up", severity="warning",
                                      timeout=20)
        launch = launches.server_at(url)
        return launch.shown_command if launch else None

    # --- the learner's server -----------------------------------------------------------------

    def action_toggle_server(self) -> None:
        if self.serving:
            self._stop_server()
            self.notify("Your server is stopped.")
        else:
            self.start_server()

    def _fail(self, message: str, timeout: float = 15) -> None:
        self.notify(message, title="Your server did not start", severity="error", timeout=timeout)

    def start_server(self, command_text: str | None = None) -> None:
        """Run the learner's workspace with its command (its language's, or theirs) on the URL's
        port, restarted on save; create the workspace from the starter if it is missing."""
        app = self.apilab
        try:
            folder, created = ensure_workspace(app.course, self.exercise)
        except LaunchError as exc:
            return self._fail(str(exc), timeout=10)
        if created:
            self.notify(f"Your workspace is ready: {folder} (a copy of the Python starter; for "
                        f"JavaScript: apilab start {self.exercise.slug} --lang js --reset).",
                        title="Workspace created")
        try:
            command = resolve(folder, self.exercise.slug, command_text)
        except CommandError as exc:
            return self._fail(f"{exc}: press c to give it.")
        try:
            port = urlsplit(self.url).port or SERVER_PORT
        except ValueError:
            return self._fail(f"{self.url} has an invalid port. Fix the URL (press u), then p again.")
        if port_in_use("127.0.0.1", port):
            launch = launches.serving(port)
            holder = f"{launch.describe()}, run by another apilab" if launch else "another program"
            return self._fail(f"Port {port} is already in use by {holder}. Press r to check "
                              "what runs there, stop it, or change the URL (u).")
        self._serve(folder, command, port)

    def _serve(self, folder: Path, command: ServerCommand, port: int) -> None:
        sandbox = self.apilab.sandbox_state
        supervisor = ServerSupervisor(
            self.apilab.processes, folder=folder, command=command, port=port,
            exercise=self.exercise.slug, on_event=lambda event: self._server_event(supervisor, event),
            sandbox_url=sandbox.url if sandbox.phase == "running" else None)
        self.supervisor, self.workspace_gone = supervisor, False
        log = self.query_one("#server-log", Log)
        log.clear()
        log.display = True
        self._run_server(self.supervisor)
        self._show_mode()

    @work(exclusive=True, group="server")
    async def _run_server(self, supervisor: ServerSupervisor) -> None:
        await supervisor.run()

    def _server_event(self, supervisor: ServerSupervisor, event: ServerEvent) -> None:
        if not self.is_attached or supervisor is not self.supervisor:  # stopped, or screen gone
            return
        # The server's output is the learner's program's: shown, never obeyed (escape codes).
        self.query_one("#server-log", Log).write_line(
            clean(event.text) if event.kind == "output" else f"── {clean(event.text)}")
        if event.kind in ("gone", "back", "replaced"):
            self.workspace_gone = event.kind == "gone"
        if event.kind in NOTIFIED:
            self.notify(event.text, title="Your server", severity=NOTIFIED[event.kind],
                        timeout=15 if NOTIFIED[event.kind] == "error" else 8)
        if event.kind == "listening" and self.watching:
            self.run_checks()
        self._show_mode()

    def _stop_server(self, redraw: bool = True) -> None:
        supervisor, self.supervisor = self.supervisor, None
        if supervisor is not None:
            self.workers.cancel_group(self, "server")
            supervisor.stop()
        if redraw:
            self._show_mode()

    def action_edit_command(self) -> None:
        from tui.screens.server_command import ServerCommandScreen

        folder = self.workspace
        try:
            current = resolve(folder, self.exercise.slug).shown
        except CommandError:
            current = ""
        self.app.push_screen(ServerCommandScreen(current, folder), self._command_chosen)

    def _command_chosen(self, text: str | None) -> None:
        if text is None:
            return
        try:
            command = resolve(self.workspace, self.exercise.slug, text or "default")
        except CommandError as exc:
            self.notify(str(exc), title="Server command", severity="error", timeout=15)
            return
        self.notify(f"Your server runs with: {command.shown} ({command.origin}).",
                    title="Server command")
        if self.serving:  # run the new command at once
            self._stop_server()
            self.start_server()

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
        # While the app serves the workspace, the server's own restarts trigger the checks
        # (once it listens again); this follows the folder for a server run elsewhere.
        async for event in follow(folder, self._watch_stop):
            if not self.watching:
                break
            if self.serving or event.kind == "present":
                continue
            if event.kind == "gone":
                self.notify(f"Your workspace {folder} is gone (moved or deleted): watch waits "
                            "until it is back.", title="Watch", severity="warning")
                continue
            await self._regrade_after_reload(event)

    async def _regrade_after_reload(self, event: FolderEvent) -> None:
        if event.kind in ("back", "replaced"):
            self.notify(f"Watching {self.workspace} again.", title="Watch")
        await asyncio.sleep(self.reload_delay)
        if not self.watching or self.serving:
            return
        if not await until_listening(self.url, LISTEN_WAIT):  # never record a restart as "not graded"
            self.notify(f"Nothing listens at {self.url}: the checks run at your next save, once "
                        "your server is running.", title="Watch", severity="warning")
            return
        if self.watching and not self.serving:
            self.run_checks()

    def _stop_watch(self, redraw: bool = True) -> None:
        self.watching = False
        self._watch_stop.set()
        if self._watch_worker is not None:
            self._watch_worker.cancel()
            self._watch_worker = None
        if redraw:
            self._show_mode()
