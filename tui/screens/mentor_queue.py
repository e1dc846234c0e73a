"""The mentor's first screen: submissions awaiting review, narrowed by exercise, learner, status
and review state; Enter opens one."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from apilab.untrusted import safe_text
from apilab.views.mentor import UNREADABLE_WHY
from tui.screens.mentor_base import MentorScreen
from tui.widgets.mentor_queue_table import QueueTable

STATUSES = [("passed", "pass"), ("failed", "fail"), ("error", "error")]
REVIEWS = [("awaiting review", "awaiting"), ("approved", "approved"),
           ("changes requested", "changes_requested")]
TYPING_PAUSE = 0.4  # seconds after the last key in a filter before the queue reloads


class QueueScreen(MentorScreen):
    """Submissions in a table, newest first; filters above, applied as you type."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "to_table", "Back to the table", show=False),
        Binding("r", "refresh", "Refresh"),
        Binding("o", "cohort", "Cohort"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.submissions: list[dict[str, Any]] = []
        self.loaded = False
        self._typing: Timer | None = None
        self._asked: dict[str, str] | None = None  # the filters of the last request

    def compose(self) -> ComposeResult:
        course = self.mentor.course
        slugs = [e.slug for e in course.ordered_exercises()] if course else []
        yield Header()
        with Horizontal(id="queue-filters"):
            yield Input(placeholder="exercise", id="filter-exercise",
                        suggester=SuggestFromList(slugs) if slugs else None)
            yield Input(placeholder="learner", id="filter-learner")
            yield Select(STATUSES, prompt="any status", id="filter-status")
            yield Select(REVIEWS, prompt="any review", value="awaiting", id="filter-review")
        yield Static("Loading the queue…", id="queue-status")
        yield QueueTable(id="queue")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "Review queue"
        self.query_one(QueueTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:  # back from a submission: its review state may have changed
            self.reload()

    @property
    def filters(self) -> dict[str, str]:
        """The hub's query parameters for what the filter bar says."""
        found = {"exercise": self.query_one("#filter-exercise", Input).value.strip(),
                 "learner": self.query_one("#filter-learner", Input).value.strip()}
        for name in ("status", "review"):
            value = self.query_one(f"#filter-{name}", Select).value
            found[name] = "" if value is Select.NULL else str(value)
        return {name: value for name, value in found.items() if value}

    def reload(self, force: bool = True) -> None:
        """Ask the hub for the queue; unless `force`, only if the filters changed since."""
        filters = self.filters
        if not force and filters == self._asked:
            return
        self._asked = filters
        self.call_hub(lambda: list(self.mentor.client.submissions(**filters)), self._show,
                      "loading the queue", group="queue")

    def _show(self, submissions: list[dict[str, Any]]) -> None:
        selected = self.selected
        self.submissions, self.loaded = submissions, True
        keep = selected.get("id") if isinstance(selected, dict) else None
        self.query_one(QueueTable).show(submissions, keep=keep)
        self._status(self._summary())

    def _summary(self) -> str:
        count, filters = len(self.submissions), self._asked or {}  # what the rows answer
        what = {"awaiting": " awaiting review", "approved": " approved",
                "changes_requested": " with changes requested"}.get(filters.get("review", ""), "")
        narrowed = ", ".join(f"{k}={v}" for k, v in filters.items() if k != "review")
        if not count:
            return (f"No submissions{what}" + (f" for {narrowed}" if narrowed else "") +
                    ". Change the filters (/) or press r to refresh.")
        plural = "submission" if count == 1 else "submissions"
        return (f"{count} {plural}{what}" + (f" · {narrowed}" if narrowed else "") +
                " · Enter opens one · * marks a score a mentor overrode")

    def _status(self, message: str, problem: bool = False) -> None:
        status = self.query_one("#queue-status", Static)
        status.update(safe_text(message))
        status.set_class(problem, "-problem")

    def show_problem(self, message: str) -> None:
        self._status(f"Could not load the queue. {message}", problem=True)

    @property
    def selected(self) -> dict[str, Any] | None:
        table = self.query_one(QueueTable)
        if not self.submissions or table.cursor_row >= len(self.submissions):
            return None
        return self.submissions[table.cursor_row]

    # --- filters --------------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_PAUSE, lambda: self.reload(force=False))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._typing is not None:
            self._typing.stop()
        self.reload()
        self.query_one(QueueTable).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.reload(force=False)  # a Select announces its first value too: not a change

    def action_filter(self) -> None:
        self.query_one("#filter-exercise", Input).focus()

    def action_to_table(self) -> None:
        self.query_one(QueueTable).focus()

    # --- actions --------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._status("Refreshing…")
        self.reload()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        from tui.screens.mentor_submission import SubmissionScreen

        chosen, table = self.selected, self.query_one(QueueTable)
        if chosen is None:
            return
        if not table.is_readable(table.cursor_row):
            self.notify(f"This submission could not be read: {UNREADABLE_WHY}.",
                        severity="warning")
            return
        self.app.push_screen(SubmissionScreen(chosen))

    def action_cohort(self) -> None:
        from tui.screens.mentor_cohort import CohortScreen

        seen = list(dict.fromkeys(str(item.get("exercise")) for item in self.submissions
                                  if isinstance(item, dict) and item.get("exercise")))
        chosen = self.selected
        picked = chosen.get("exercise") if isinstance(chosen, dict) else None
        current = self.filters.get("exercise") or (str(picked) if picked else None)
        self.app.push_screen(CohortScreen(current, seen))
