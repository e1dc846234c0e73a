"""The widgets that show text from outside literally: a table and someone else's Markdown
(tui/plain.py states the rules)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.await_complete import AwaitComplete
from textual.widgets import DataTable, Markdown
from textual.widgets.data_table import CellType, ColumnKey, RowKey

from apilab.untrusted import clean
from apilab.views.markdown import parser
from tui.plain import literal


class PlainTable(DataTable):
    """A DataTable whose string cells and labels are shown literally (DataTable would parse
    them as markup), cleaned."""

    def add_row(self, *cells: CellType, height: int | None = 1, key: str | None = None,
                label: str | Text | None = None) -> RowKey:
        return super().add_row(*(literal(cell) for cell in cells), height=height, key=key,
                               label=literal(label) if label is not None else None)

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: CellType,
                    *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, literal(value), update_width=update_width)

    def add_column(self, label: str | Text, *, width: int | None = None, key: str | None = None,
                   default: Any = None) -> ColumnKey:
        return super().add_column(literal(label), width=width, key=key, default=default)


class FeedbackMarkdown(Markdown):
    """Markdown that someone else wrote (a mentor's feedback): cleaned of terminal controls,
    and each link shown with its target, so no text hides where a link goes."""

    def __init__(self, markdown: str | None = None, **options: Any) -> None:
        super().__init__(clean(markdown) if markdown is not None else None,
                         parser_factory=parser, **options)

    def update(self, markdown: str) -> AwaitComplete:
        return super().update(clean(markdown))
