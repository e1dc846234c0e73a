"""The keys of the screen underneath, in a modal that any key in the footer can open with `?`."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.screens.base import SizedScreen


def key_rows(screen: Screen, key_display: Callable[[Binding], str]) -> list[tuple[str, str]]:
    """(keys, what they do) for the actions of `screen` and the app: every binding shown in
    the footer, and the screen's own hidden ones; widget internals (scrolling) are left out."""
    keys: dict[str, list[str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        own = isinstance(active.node, Screen) or active.node is screen.app
        if binding.description and (binding.show or own):
            shown = keys.setdefault(binding.description, [])
            if key_display(binding) not in shown:
                shown.append(key_display(binding))
    return [(", ".join(found), description) for description, found in keys.items()]


def key_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("Key")
    table.add_column("Action")
    for key, description in rows:
        table.add_row(Text(key), Text(description))  # a key such as [ is not markup
    return table


class HelpScreen(SizedScreen, ModalScreen[None]):
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
