"""How both apps put text from outside on screen: literally, and cleaned.

A report, a hub, a learner or a mentor can write anything, and Textual would otherwise parse a
string as markup (`[/]` raises MarkupError, `[link=...]` makes a link, `[@click=...]` runs an
action) and pass ESC sequences through to the terminal. The rules:

- untrusted text becomes a Rich `Text` through `apilab.untrusted.safe_text`, or is appended to
  one through `apilab.untrusted.clean`; never a bare string handed to a widget;
- `PlainTextApp` shows notifications and titles literally, cleaned, whatever a screen passes,
  and cleans what it copies to the clipboard;
- `PlainTable` shows every string cell literally, cleaned;
- `FeedbackMarkdown` renders someone else's Markdown cleaned, with link targets in view (the
  course's own readings ship with the course and are rendered by `tui.widgets.reading`).

tests/test_architecture.py holds tui/ to these rules; tests/test_untrusted_*_app.py feed attacks
through every screen and read what would reach the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.widgets import DataTable, Markdown
from textual.widgets.data_table import CellType, ColumnKey, RowKey

from apilab.untrusted import clean, safe_text
from apilab.views.markdown import parser


def literal(value: object) -> object:
    """`value` made literal for a widget: a string becomes cleaned `Text`; `Text` and other
    renderables are kept (they are never parsed as markup)."""
    return safe_text(value) if isinstance(value, str) else value


class PlainTextApp(App[None]):
    """An app whose notifications and titles are never markup and never carry controls."""

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """A notification, shown literally: `markup` is accepted for Textual's signature and
        ignored, since the apps' messages so often quote what a server or a hub said."""
        super().notify(clean(message), title=clean(title), severity=severity, timeout=timeout,
                       markup=False)

    def format_title(self, title: str, sub_title: str) -> Content:
        return super().format_title(clean(title), clean(sub_title))

    def copy_to_clipboard(self, text: str) -> None:
        """Copy `text`, cleaned: a command copied from a report (a curl line) is pasted into a
        shell, where ESC[201~ would end bracketed paste and run whatever follows it."""
        super().copy_to_clipboard(clean(text))


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
