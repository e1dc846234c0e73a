"""The keys of the screen underneath, in a modal that any key in the footer can open with `?`."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def key_rows(screen: Screen, key_display: Callable[[Binding], str]) -> list[tuple[str, str]]:
    """(key, what it does) for every described binding active on `screen`."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.description and binding.description not in seen:
            seen.add(binding.description)
            rows.append((key_display(binding), binding.description))
    return rows


def key_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("Key")
    table.add_column("Action")
    for key, description in rows:
        table.add_row(key, description)
    return table


class HelpScreen(ModalScreen[None]):
    """Every key of the screen it covers; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under
        self.rows: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static("Keys", id="help-title")
            self.rows = key_rows(self.under, self.app.get_key_display)
            yield Static(key_table(self.rows), id="help-keys")
            yield Static("Mouse: click a row to open it, a check to expand it. "
                         "Esc closes this.", id="help-foot")

    def action_close(self) -> None:
        self.dismiss(None)
