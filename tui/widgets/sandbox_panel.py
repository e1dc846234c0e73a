"""The sandbox's address and health, kept up to date from the app's `sandbox_state`."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from apilab.sandbox_control import SandboxState
from apilab.untrusted import clean


def sandbox_text(state: SandboxState) -> Text:
    text = Text()
    text.append("Sandbox  ", style="bold")
    style = {"running": "green" if state.healthy else "yellow", "failed": "red"}.get(
        state.phase, "dim")
    text.append(clean(f"● {state.label}") + "\n", style=style)
    if state.phase == "running":
        text.append(clean(f"{state.url}/docs · s stops it") + "\n", style="dim")
        for lab in state.labs:
            text.append(clean(f"⚠ {lab} lab on: vulnerable on purpose") + "\n", style="bold yellow")
    elif state.phase in ("off", "failed"):
        text.append("s starts it (or: apilab sandbox)\n", style="dim")
    if state.message:
        style = "red" if state.phase == "failed" else "yellow"
        text.append(clean(state.message) + "\n", style=style)
    text.rstrip()
    return text


class SandboxPanel(Static):
    """One block: is the practice API running, where, and is it healthy."""

    def on_mount(self) -> None:
        self._show(self.app.sandbox_state)
        self.app.sandbox_changed.subscribe(self, self._show, immediate=True)

    def on_unmount(self) -> None:
        self.app.sandbox_changed.unsubscribe(self)

    def _show(self, state: SandboxState) -> None:
        self.update(sandbox_text(state))
        self.set_class(state.phase == "failed", "-failed")
