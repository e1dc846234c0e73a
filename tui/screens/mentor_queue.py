"""The mentor's first screen: submissions awaiting review, narrowed by exercise, learner, status
and review state; Enter opens one.

The hub filters and pages: the screen asks for one page (each learner's latest submission of each
exercise, by default) and the next only when the mentor wants it, so a cohort of thousands of
submissions costs one request, not hundreds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import DataTable, Input, Select, Static

from apilab.untrusted import safe_text
from apilab.views.mentor import why_unreadable
from hub.protocol import SubmissionPage, SubmissionSummary, Unreadable
from tui.screens.mentor_base import MentorScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.mentor_queue_table import QueueTable
from tui.widgets.title_bar import TitleBar

STATUSES = [("passed", "pass"), ("failed", "fail"), ("error", "error")]
REVIEWS = [("awaiting review", "awaiting"), ("approved", "approved"),
           ("changes requested", "changes_requested")]
VIEWS = [("latest runs", "latest"), ("all runs", "all")]
TYPING_PAUSE = 0.4  # seconds after the last key in a filter before the queue reloads
PAGE = 50  # submissions per request


class QueueScreen(MentorScreen):
    """Submissions in a table, newest first; filters above, applied as you type."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "stop", "Stop loading / back to the table", show=False),
        Binding("r", "refresh", "Refresh"),
        Binding("m", "more", "More"),
        Binding("o", "cohort", "Cohort"),
        Binding("g", "glance", "At a glance"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.submissions: list[SubmissionSummary | Unreadable] = []
        self.next_cursor: str | None = None
        self.loaded = False
        self._typing: Timer | None = None
        self._asked: dict[str, str] | None = None  # the filters of the last request

    def compose(self) -> ComposeResult:
        course = self.mentor.course
        slugs = [e.slug for e in course.ordered_exercises()] if course else []
        yield TitleBar()
        # Compact (one line, no borders): five filters fit in 80 columns and leave rows to the queue.
        with Horizontal(id="queue-filters"):
            yield Input(placeholder="exercise", id="filter-exercise", compact=True,
                        suggester=SuggestFromList(slugs) if slugs else None)
            yield Input(placeholder="learner", id="filter-learner", compact=True)
            yield Select(STATUSES, prompt="any status", id="filter-status", compact=True)
            yield Select(REVIEWS, prompt="any review", value="awaiting", id="filter-review",
                         compact=True)
            yield Select(VIEWS, allow_blank=False, value="latest", id="filter-view", compact=True)
        yield Static("Loading the queue… (esc stops)", id="queue-status")
        yield QueueTable(id="queue")
        yield KeyFooter()

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
        for name in ("status", "review", "view"):
            value = self.query_one(f"#filter-{name}", Select).value
            found[name] = "" if value is Select.NULL else str(value)
        return {name: value for name, value in found.items() if value}

    def reload(self, force: bool = True) -> None:
        """Ask the hub for the queue; unless `force`, only if the filters changed since."""
        filters = self.filters
        if not force and filters == self._asked:
            return
        self._asked = filters
        self.call_hub(lambda: self.mentor.client.submissions_page(None, limit=PAGE, **filters),
                      self._show, "loading the queue", group="queue")

    def _show(self, page: SubmissionPage) -> None:
        selected = self.selected
        self.submissions, self.next_cursor, self.loaded = page.items, page.next_cursor, True
        keep = selected.id if isinstance(selected, SubmissionSummary) else None
        self.query_one(QueueTable).show(page.items, keep=keep)
        self._status(self._summary())

    def action_more(self) -> None:
        """Fetch the next page of the queue, if the hub has one."""
        cursor, filters = self.next_cursor, self._asked or {}
        if cursor is None:
            self.notify("That is the whole queue.", timeout=3)
            return
        self._status("Loading more… (esc stops)")
        self.call_hub(lambda: self.mentor.client.submissions_page(cursor, limit=PAGE, **filters),
                      self._show_more, "loading more of the queue", group="queue")

    def _show_more(self, page: SubmissionPage) -> None:
        self.submissions = [*self.submissions, *page.items]
        self.next_cursor = page.next_cursor
        self.query_one(QueueTable).add(page.items)
        self._status(self._summary())

    def _summary(self) -> str:
        count, filters = len(self.submissions), self._asked or {}  # what the rows answer
        what = {"awaiting": " awaiting review", "approved": " approved",
                "changes_requested": " with changes requested"}.get(filters.get("review", ""), "")
        narrowed = ", ".join(f"{k}={v}" for k, v in filters.items() if k not in ("review", "view"))
        latest = " (latest of each learner)" if filters.get("view") == "latest" else ""
        if not count:
            return (f"No submissions{what}" + (f" for {narrowed}" if narrowed else "") +
                    f"{latest}. Change the filters (/) or press r to refresh.")
        plural = "submission" if count == 1 else "submissions"
        unreadable = sum(isinstance(item, Unreadable) for item in self.submissions)
        more = " · m shows more" if self.next_cursor else ""
        return (f"{count}{'+' if self.next_cursor else ''} {plural}{what}{latest}" +
                (f" · {narrowed}" if narrowed else "") +
                (f" · {unreadable} unreadable (Enter says why)" if unreadable else "") + more +
                " · Enter opens one · * marks a score a mentor overrode")

    def _status(self, message: str, problem: bool = False) -> None:
        status = self.query_one("#queue-status", Static)
        status.update(safe_text(message))
        status.set_class(problem, "-problem")

    def show_problem(self, message: str) -> None:
        self._status(f"Could not load the queue. {message}", problem=True)

    @property
    def selected(self) -> SubmissionSummary | Unreadable | None:
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

    def action_stop(self) -> None:
        """Escape: stop a load in progress (the hub may be slow), else back to the table."""
        loading = [w for w in self.workers if w.group == "queue" and not w.is_finished]
        for worker in loading:
            worker.cancel()
        if loading:
            self._status("Stopped loading. Press r to try again.")
        self.query_one(QueueTable).focus()

    # --- actions --------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._status("Refreshing…")
        self.reload()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        from tui.screens.mentor_submission import SubmissionScreen

        chosen = self.selected
        if isinstance(chosen, Unreadable):
            self.notify(f"This submission could not be read: {why_unreadable(chosen)}.",
                        severity="warning")
        elif chosen is not None:
            self.app.push_screen(SubmissionScreen(chosen))

    def action_glance(self) -> None:
        from tui.screens.mentor_glance import GlanceScreen

        self.app.push_screen(GlanceScreen())

    def action_cohort(self) -> None:
        from tui.screens.mentor_cohort import CohortScreen

        seen = list(dict.fromkeys(item.exercise for item in self.submissions
                                  if isinstance(item, SubmissionSummary)))
        chosen = self.selected
        picked = chosen.exercise if isinstance(chosen, SubmissionSummary) else None
        current = self.filters.get("exercise") or picked
        self.app.push_screen(CohortScreen(current, seen))
