"""What every apilab screen shares: typed access to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from tui.app import ApilabApp


class ApilabScreen(Screen):
    @property
    def apilab(self) -> ApilabApp:
        return cast("ApilabApp", self.app)
