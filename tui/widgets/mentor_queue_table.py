"""The review queue's table: one row per submission, newest first; Enter opens the row."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from apilab.views.mentor import QUEUE_COLUMNS, UNREADABLE_DATA, queue_row, unreadable
from tui.plain import PlainTable

UNREADABLE_KEY = "unreadable-"  # the key of a row whose submission could not be read


class QueueTable(PlainTable):
    # DataTable's own Enter is hidden from the footer; this one says what it does here
    BINDINGS = [Binding("enter", "select_cursor", "Open")]

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for column in QUEUE_COLUMNS:
            self.add_column(column, key=column)

    def show(self, submissions: list[dict[str, Any]], keep: str | None = None) -> None:
        """Replace the rows; the cursor stays on submission `keep` if it is still listed. A
        submission that cannot be read is a row that says so; the others are unaffected."""
        self.clear()
        keys = []
        for index, item in enumerate(submissions):
            try:
                cells, key = queue_row(item), str(item["id"])
            except UNREADABLE_DATA:
                cells = (unreadable(), *(unreadable("") for _ in QUEUE_COLUMNS[1:]))
                key = f"{UNREADABLE_KEY}{index}"
            if key in keys:  # the hub listed one twice: keep both rows, one key each
                key = f"{key}-{index}"
            keys.append(key)
            self.add_row(*cells, key=key)
        if keep in keys:
            self.move_cursor(row=keys.index(keep))

    def is_readable(self, row: int) -> bool:
        """Whether the submission on `row` could be read (and so can be opened)."""
        if not 0 <= row < self.row_count:
            return False
        key = self.coordinate_to_cell_key((row, 0)).row_key.value or ""
        return not key.startswith(UNREADABLE_KEY)
