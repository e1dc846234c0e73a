"""The cohort at a glance: per lesson and exercise, how many learners started, passed and were
approved, and below, who is stuck and on which check."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from apilab.untrusted import safe_text
from apilab.views.cohort_glance import (
    EXERCISE_COLUMNS,
    STUCK_COLUMNS,
    exercise_row,
    glance_summary,
    stuck_row,
)
from hub.protocol import CohortProgress, StuckLearner, StuckPage, Unreadable
from tui.screens.mentor_base import MentorScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.plain import PlainTable
from tui.widgets.title_bar import TitleBar

PAGE = 50  # stuck learners per request: a cohort of thousands is fetched as it is scrolled


class GlanceScreen(MentorScreen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("r", "refresh", "Refresh"),
                Binding("m", "more", "More stuck")]

    def __init__(self) -> None:
        super().__init__()
        self.glance: CohortProgress | None = None
        self.next_cursor: str | None = None
        self.fetching = False  # a page of stuck learners is on its way

    def compose(self) -> ComposeResult:
        yield TitleBar()
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
        self.fetching = True
        self.call_hub(lambda: self.mentor.client.cohort_progress(limit=PAGE), self._show,
                      "loading the cohort at a glance", group="glance")

    def _show(self, glance: CohortProgress) -> None:
        self.glance, self.next_cursor, self.fetching = glance, glance.stuck_next_cursor, False
        exercises = self.query_one("#glance-exercises", PlainTable)
        exercises.clear()
        for item in glance.exercises:
            exercises.add_row(*exercise_row(item))
        self.query_one("#glance-stuck", PlainTable).clear()
        self._add_stuck(glance.stuck)

    def action_more(self) -> None:
        """Fetch the next page of stuck learners, if the hub has one."""
        cursor = self.next_cursor
        if cursor is None or self.fetching:
            return
        self.fetching = True
        self.call_hub(lambda: self.mentor.client.stuck_page(cursor, limit=PAGE), self._show_more,
                      "loading more stuck learners", group="glance")

    def _show_more(self, page: StuckPage) -> None:
        self.next_cursor, self.fetching = page.next_cursor, False
        self._add_stuck(page.items)

    def _add_stuck(self, items: list[StuckLearner | Unreadable]) -> None:
        glance = self.glance
        if glance is None:
            return
        stuck = self.query_one("#glance-stuck", PlainTable)
        for item in items:
            stuck.add_row(*stuck_row(item, glance.idle_days, glance.repeat_runs))
        self._summary(glance_summary(glance, stuck.row_count, self.next_cursor is not None))

    def on_data_table_row_highlighted(self, event: PlainTable.RowHighlighted) -> None:
        # scrolling down to the last stuck learner fetches the next page
        table = event.data_table
        if table.id == "glance-stuck" and event.cursor_row == table.row_count - 1:
            self.action_more()

    def _summary(self, message: str, problem: bool = False) -> None:
        summary = self.query_one("#glance-summary", Static)
        summary.update(safe_text(message))
        summary.set_class(problem, "-problem")

    def show_problem(self, message: str) -> None:
        self.fetching = False  # r, m or the end of the list asks again
        self._summary(message, problem=True)

    def action_back(self) -> None:
        self.app.pop_screen()
