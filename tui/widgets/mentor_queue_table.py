"""The review queue's table: one row per submission, newest first; Enter opens the row."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from apilab.views.mentor import review_label, score_label, when_iso
from hub.protocol import SubmissionSummary

COLUMNS = ("learner", "exercise", "score", "status", "submitted", "review")


class QueueTable(DataTable):
    # DataTable's own Enter is hidden from the footer; this one says what it does here
    BINDINGS = [Binding("enter", "select_cursor", "Open")]

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in COLUMNS:
            self.add_column(column, key=column)

    def show(self, submissions: list[SubmissionSummary], keep: str | None = None) -> None:
        """Replace the rows; the cursor stays on submission `keep` if it is still listed."""
        self.clear()
        self.add(submissions)
        ids = [item.id for item in submissions]
        if keep in ids:
            self.move_cursor(row=ids.index(keep))

    def add(self, submissions: list[SubmissionSummary]) -> None:
        """Append rows (the next page), leaving the cursor where it is."""
        for item in submissions:
            self.add_row(Text(item.learner), Text(item.exercise), score_label(item),
                         Text(item.status, style="green" if item.status == "pass" else "red"),
                         when_iso(item.created_at), review_label(item.review_state),
                         key=item.id)
