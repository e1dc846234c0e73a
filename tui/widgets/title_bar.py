"""The line across the top of every screen: its title, and the app's subtitle after it.

In place of Textual's `Header`, which has two faults for an app that opens screens all day: it is
four widgets to style and lay out at each opening, and it watches the app's `title` and
`sub_title`. Textual drops a watcher only when the value it watches changes, and the app's title
never does: every header ever shown stayed in memory with its screen's drawn lines (about 4,000
strips for a round of six screens), and every full pass of the garbage collector walked them,
slower at each opening. This bar watches only its own screen, which it goes with; the app
redraws the bars when its titles change (`PlainTextApp`).

The titles are shown through the app's `format_title`, which cleans them: a mentor's screen is
titled with a learner's name.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.widget import Widget


class TitleBar(Widget):
    """The screen's title (the app's when the screen has none) and subtitle, centred."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        content-align: center middle;
    }
    """

    def on_mount(self) -> None:
        screen = self.screen
        self.watch(screen, "title", self.retitle, init=False)
        self.watch(screen, "sub_title", self.retitle, init=False)

    def retitle(self) -> None:
        self.refresh()

    def render(self) -> RenderResult:
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return app.format_title(title, sub_title)
