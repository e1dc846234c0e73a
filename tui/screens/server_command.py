"""Which command runs the learner's server: a small form over the exercise screen."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from apilab.untrusted import clean


class ServerCommandScreen(ModalScreen[str | None]):
    """Edit the command; Enter gives it back (empty: the language's default), Escape nothing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str, folder: Path) -> None:
        super().__init__()
        self.current, self.folder = current, folder

    def compose(self) -> ComposeResult:
        with Vertical(id="command-box"):
            yield Static(Text("The command that runs your server", style="bold"))
            # Shown cleaned: a command is typed by the learner, but remembered between sessions.
            yield Input(clean(self.current), id="command", placeholder="node server.js, go run ., …")
            yield Static(Text(
                f"It runs in {clean(str(self.folder))}, restarted when you save, with its port in the PORT "
                "environment variable ($PORT in the command is replaced too). Leave it empty for "
                "the default of your workspace's language: uvicorn for app.py, node for "
                "server.js.\nEnter saves it for this exercise · Escape cancels", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
