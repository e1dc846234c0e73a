"""What every apilab screen shares: typed access to the app, and the size classes that
tui/apilab.tcss and tui/screens.tcss lay screens out by."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.geometry import Size
from textual.screen import Screen

if TYPE_CHECKING:
    from tui.app import ApilabApp

# A screen has -narrow below 100 columns (80x24 is a supported size) and -short below 30 rows;
# the layout in tui/apilab.tcss and tui/screens.tcss adapts to them.
WIDTHS = [(0, "-narrow"), (100, "-wide")]
HEIGHTS = [(0, "-short"), (30, "-tall")]


def size_classes(size: Size, widths: list[tuple[int, str]] = WIDTHS,
                 heights: list[tuple[int, str]] = HEIGHTS) -> dict[str, bool]:
    """The size classes of a screen of `size`, each on or off: of each list of breakpoints,
    the one of the highest threshold that the screen reaches, as Textual gives them."""
    classes = {}
    for breakpoints, cells in ((widths, size.width), (heights, size.height)):
        reached = max(((at, name) for at, name in breakpoints if cells >= at), default=None)
        classes.update({name: (at, name) == reached for at, name in breakpoints})
    return classes


class SizedScreen:
    """A screen with the size classes. Textual gives them on the screen's first resize, once
    its widgets are styled, and then styles all of them again; here they are given before."""

    HORIZONTAL_BREAKPOINTS = WIDTHS
    VERTICAL_BREAKPOINTS = HEIGHTS

    def on_compose(self) -> None:
        screen = cast(Screen, self)
        classes = size_classes(screen.app.size, self.HORIZONTAL_BREAKPOINTS,
                               self.VERTICAL_BREAKPOINTS)
        screen.update_classes(classes, update=False)


class ApilabScreen(SizedScreen, Screen):
    @property
    def apilab(self) -> ApilabApp:
        return cast("ApilabApp", self.app)
