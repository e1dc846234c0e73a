"""A lesson: its reading, and the practice API and notebook that go with it."""

from __future__ import annotations

import re
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from apilab import paths
from apilab.browser import open_in_browser
from apilab.catalog.models import Lesson
from apilab.flags import LAB
from apilab.jupyter import JupyterError, JupyterServer
from apilab.sandbox_control import DEFAULT_PORT
from apilab.untrusted import safe_text
from apilab.workspace import WorkspaceError, notebook_copy
from tui.screens.base import ApilabScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.reading import Reading
from tui.widgets.sandbox_panel import SandboxPanel
from tui.widgets.title_bar import TitleBar


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
        Binding("l", "open_lab", "Security lab"),
    ]

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson

    def compose(self) -> ComposeResult:
        course = self.apilab.course
        yield TitleBar()
        with Horizontal(id="lesson-body"):
            with VerticalScroll(id="reading"):
                yield Reading(read_text(course.reading_path(self.lesson)), id="reading-text")
            with Vertical(id="lesson-side"):
                yield SandboxPanel(id="sandbox-panel")
                yield Static(self._actions(), id="lesson-actions")
                yield Static(id="lesson-message", classes="message")
        yield KeyFooter()

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
        if LAB in self.lesson.labs:
            text.append("l", style="bold").append("  the security lab: vulnerable on purpose\n")
            text.append("   switch it on, capture flags, submit them\n", style="dim")
        exercises = course.exercises_of(self.lesson)
        if exercises:
            first = exercises[0]
            text.append("e", style="bold").append(f"  exercise {first.number}: {first.title}\n")
        return text

    def show_message(self, message: str, severity: str = "information") -> None:
        """Say something in the side panel (it stays) and as a notification. Addresses in it
        are links, which terminals that know links open on a click even when wrapped."""
        panel = self.query_one("#lesson-message", Static)
        text = safe_text(message)
        for found in re.finditer(r"https?://\S+", text.plain):
            text.stylize(Style(link=found.group()), found.start(), found.end())
        panel.update(text)
        panel.display = True
        panel.set_classes(f"message -{severity}")
        self.notify(message, severity=severity, timeout=10)  # type: ignore[arg-type]

    def action_back(self) -> None:
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return LAB in self.lesson.labs if action == "open_lab" else True

    def action_open_lab(self) -> None:
        from tui.screens.lab import LabScreen

        self.app.push_screen(LabScreen())

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
        jupyter = app.jupyter
        if jupyter is not None and jupyter.running:
            if jupyter.ready:  # pressed again: the same server, never a second one
                self._show_notebook(jupyter, path)
            else:
                self.show_message("Jupyter is still starting; the notebook's address appears here "
                                  "as soon as it answers.")
            return
        log = paths.data_home() / "jupyter.log"
        app.jupyter = JupyterServer(app.processes, root=path.parent, sandbox_url=self.sandbox_url(),
                                    output=log)
        self.show_message(f"Starting Jupyter… (its log: {log})")
        self._start_jupyter(app.jupyter, path)

    @work(thread=True, group="jupyter")
    def _start_jupyter(self, jupyter: JupyterServer, path: Path) -> None:
        try:
            jupyter.start()
        except JupyterError as exc:
            self.app.call_from_thread(self._jupyter_failed, jupyter, exc)
            return
        self.app.call_from_thread(self._show_notebook, jupyter, path)

    def _jupyter_failed(self, jupyter: JupyterServer, problem: JupyterError) -> None:
        if self.apilab.jupyter is jupyter:
            self.apilab.jupyter = None
        if self.is_attached:
            self.show_message(str(problem), "error")

    def _show_notebook(self, jupyter: JupyterServer, path: Path) -> None:
        """Say where the notebook is (its URL, token included) and open it where a browser is."""
        if not self.is_attached:
            return
        url = jupyter.url_for(path)
        opened = open_in_browser(url)
        lines = [f"{'Opened' if opened else 'Open'} {path.name} in Jupyter:", url]
        if not opened:
            lines.append(f"(No browser here. From another machine, forward the port first: "
                         f"ssh -L {jupyter.port}:127.0.0.1:{jupyter.port} THIS-HOST)")
        lines.append(f"Its kernels have SANDBOX_URL={jupyter.sandbox_url}.")
        severity = "information"
        if self.apilab.sandbox_state.phase != "running":
            lines.append("The sandbox is not running: press s so the notebook has an API to call.")
            severity = "warning"
        elif jupyter.sandbox_url != self.sandbox_url():
            lines.append(f"The sandbox now runs at {self.sandbox_url()}: set SANDBOX_URL to that "
                         "in the notebook, or quit and reopen the app.")
            severity = "warning"
        self.show_message("\n".join(lines), severity)

    def action_open_docs(self) -> None:
        url = f"{self.sandbox_url()}/docs"
        if self.apilab.sandbox_state.phase != "running":
            self.show_message(f"The sandbox is not running; press s to start it, then open {url}",
                              "warning")
            return
        if not open_in_browser(url):
            self.show_message(f"No browser available here. Open {url} yourself.")
        else:
            self.notify(f"Opened {url} in your browser.")
