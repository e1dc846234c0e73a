"""What every apilab screen shares: typed access to the app, and the size classes that
tui/apilab.tcss lays screens out by."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from tui.app import ApilabApp

# A screen has -narrow below 100 columns (80x24 is a supported size) and -short below 30 rows;
# the layout in tui/apilab.tcss adapts to them.
WIDTHS = [(0, "-narrow"), (100, "-wide")]
HEIGHTS = [(0, "-short"), (30, "-tall")]


class ApilabScreen(Screen):
    HORIZONTAL_BREAKPOINTS = WIDTHS
    VERTICAL_BREAKPOINTS = HEIGHTS

    @property
    def apilab(self) -> ApilabApp:
        return cast("ApilabApp", self.app)
