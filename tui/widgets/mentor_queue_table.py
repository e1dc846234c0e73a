"""The mentor's queue: one row per submission, newest first."""

from __future__ import annotations

from textual.binding import Binding

from apilab.views.mentor import QUEUE_COLUMNS, queue_row
from hub.protocol import SubmissionSummary, Unreadable
from tui.widgets.plain import PlainTable

UNREADABLE_KEY = "unreadable"  # the key of a row whose submission could not be read


class QueueTable(PlainTable):
    # DataTable's own Enter is hidden from the footer; this one says what it does here
    BINDINGS = [Binding("enter", "select_cursor", "Open")]

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in QUEUE_COLUMNS:
            self.add_column(column, key=column)

    def show(self, submissions: list[SubmissionSummary | Unreadable],
             keep: str | None = None) -> None:
        """Replace the rows; the cursor stays on submission `keep` if it is still listed."""
        self.clear()
        self.add(submissions)
        if keep is not None and keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep))

    def add(self, submissions: list[SubmissionSummary | Unreadable]) -> None:
        """Append rows (the next page), leaving the cursor where it is. A submission that could
        not be read is a row that says so; the others are unaffected."""
        for item in submissions:
            key = item.id if isinstance(item, SubmissionSummary) else UNREADABLE_KEY
            self.add_row(*queue_row(item), key=self._fresh(key))

    def _fresh(self, key: str) -> str:
        """`key`, or a variant of it no row has: the hub may list a submission twice (on two
        pages, say), and both rows stay, one key each."""
        fresh, count = key, self.row_count
        while fresh in self.rows:
            fresh, count = f"{key}-{count}", count + 1
        return fresh
