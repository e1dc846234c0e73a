"""The cohort at a glance: per lesson and exercise, how many learners started, passed and were
approved, and below, who is stuck and on which check."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Static

from apilab.untrusted import safe_text
from apilab.views.cohort_glance import (
    EXERCISE_COLUMNS,
    STUCK_COLUMNS,
    exercise_row,
    glance_summary,
    stuck_row,
)
from hub.protocol import CohortProgress
from tui.plain import PlainTable
from tui.screens.mentor_base import MentorScreen
from tui.widgets.key_footer import KeyFooter


class GlanceScreen(MentorScreen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("r", "refresh", "Refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.glance: CohortProgress | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="glance-summary")
        yield PlainTable(id="glance-exercises", cursor_type="row")
        yield PlainTable(id="glance-stuck", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Cohort at a glance"
        exercises = self.query_one("#glance-exercises", PlainTable)
        exercises.border_title = "Per exercise"
        for column in EXERCISE_COLUMNS:
            exercises.add_column(column, key=column)
        stuck = self.query_one("#glance-stuck", PlainTable)
        stuck.border_title = "Stuck"
        for column in STUCK_COLUMNS:
            stuck.add_column(column, key=column)
        exercises.focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self._summary("Loading…")
        self.call_hub(self.mentor.client.cohort_progress, self._show,
                      "loading the cohort at a glance", group="glance")

    def _show(self, glance: CohortProgress) -> None:
        self.glance = glance
        exercises = self.query_one("#glance-exercises", PlainTable)
        exercises.clear()
        for item in glance.exercises:
            exercises.add_row(*exercise_row(item))
        stuck = self.query_one("#glance-stuck", PlainTable)
        stuck.clear()
        for item in glance.stuck:
            stuck.add_row(*stuck_row(item, glance.idle_days, glance.repeat_runs))
        self._summary(glance_summary(glance))

    def _summary(self, message: str, problem: bool = False) -> None:
        summary = self.query_one("#glance-summary", Static)
        summary.update(safe_text(message))
        summary.set_class(problem, "-problem")

    def show_problem(self, message: str) -> None:
        self._summary(message, problem=True)

    def action_back(self) -> None:
        self.app.pop_screen()
