"""A lesson: its reading, and the practice API and notebook that go with it."""

from __future__ import annotations

import os
import webbrowser
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Markdown, Static

from apilab import paths
from apilab.catalog.models import Lesson
from apilab.processes import LaunchError
from apilab.sandbox_control import DEFAULT_PORT
from apilab.untrusted import safe_text
from apilab.workspace import WorkspaceError, notebook_copy
from tui.screens.base import ApilabScreen
from tui.widgets.sandbox_panel import SandboxPanel


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        return f"*Could not read {path}: {exc.strerror or exc}.*"


class LessonScreen(ApilabScreen):
    """The lesson's reading as Markdown, with the sandbox and the notebook one key away."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("o", "open_notebook", "Notebook"),
        Binding("d", "open_docs", "API docs"),
        Binding("e", "first_exercise", "Exercise"),
    ]

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson
        self.last_launch: list[str] | None = None  # the last command started, for the tests

    def compose(self) -> ComposeResult:
        course = self.apilab.course
        yield Header()
        with Horizontal(id="lesson-body"):
            with VerticalScroll(id="reading"):
                yield Markdown(read_text(course.reading_path(self.lesson)), id="reading-text")
            with Vertical(id="lesson-side"):
                yield SandboxPanel(id="sandbox-panel")
                yield Static(self._actions(), id="lesson-actions")
                yield Static(id="lesson-message", classes="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = f"Lesson {self.lesson.number}: {self.lesson.title}"
        self.query_one("#lesson-message").display = False

    def _actions(self) -> Text:
        course = self.apilab.course
        text = Text()
        text.append(f"Lesson {self.lesson.number}\n", style="bold")
        if self.lesson.notebook:
            text.append("o", style="bold").append("  open the notebook in Jupyter\n")
            text.append(f"   {self.lesson.notebook}\n", style="dim")
            text.append(f"   or: apilab notebook {self.lesson.number}\n", style="dim")
        else:
            text.append("   this lesson has no notebook\n", style="dim")
        text.append("d", style="bold").append("  the sandbox's API docs\n")
        exercises = course.exercises_of(self.lesson)
        if exercises:
            first = exercises[0]
            text.append("e", style="bold").append(f"  exercise {first.number}: {first.title}\n")
        return text

    def show_message(self, message: str, severity: str = "information") -> None:
        """Say something in the side panel (it stays) and as a notification."""
        panel = self.query_one("#lesson-message", Static)
        panel.update(safe_text(message))
        panel.display = True
        panel.set_classes(f"message -{severity}")
        self.notify(message, severity=severity, timeout=10)  # type: ignore[arg-type]

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_first_exercise(self) -> None:
        from tui.screens.exercise import ExerciseScreen

        exercises = self.apilab.course.exercises_of(self.lesson)
        if exercises:
            self.app.push_screen(ExerciseScreen(exercises[0]))
        else:
            self.notify("This lesson has no exercise.")

    def sandbox_url(self) -> str:
        state = self.apilab.sandbox_state
        return state.url if state.phase == "running" and state.url else (
            f"http://127.0.0.1:{DEFAULT_PORT}")

    def action_open_notebook(self) -> None:
        app = self.apilab
        if app.course.notebook_path(self.lesson) is None:
            self.show_message("This lesson has no notebook; read on, then try the exercise (e).",
                              "warning")
            return
        try:  # the learner's own copy, so that the course's notebook stays as published
            path = notebook_copy(app.course, self.lesson)
        except WorkspaceError as exc:
            self.show_message(f"The notebook could not be opened: {exc}. Ask the course authors "
                              "if the course is incomplete.", "error")
            return
        # Imported here: nbformat takes over a second to import, and the first Enter on the course
        # map would freeze the app that long before the screen appeared.
        from apilab.notebooks import jupyter_command

        url = self.sandbox_url()
        command = jupyter_command(path)
        log = paths.data_home() / "jupyter.log"
        try:
            app.processes.spawn(command, cwd=path.parent, env={**os.environ, "SANDBOX_URL": url},
                                log_path=log)
        except LaunchError as exc:
            self.show_message(f"Jupyter did not start: {exc}", "error")
            return
        self.last_launch = command
        note = "" if app.sandbox_state.phase == "running" else (
            " The sandbox is not running: press s so the notebook has an API to call.")
        self.show_message(f"Opening {path.name} in Jupyter with SANDBOX_URL={url} "
                          f"(its log: {log}).{note}", "information" if not note else "warning")

    def action_open_docs(self) -> None:
        url = f"{self.sandbox_url()}/docs"
        if self.apilab.sandbox_state.phase != "running":
            self.show_message(f"The sandbox is not running; press s to start it, then open {url}",
                              "warning")
            return
        try:
            opened = webbrowser.open(url)
        except webbrowser.Error:
            opened = False
        if not opened:
            self.show_message(f"No browser available here. Open {url} yourself.")
        else:
            self.notify(f"Opened {url} in your browser.")
