"""The course's own Markdown (a lesson's reading, an exercise's task) as one widget.

Textual's Markdown widget mounts a widget per block (hundreds for a long reading) and guesses
the language of every unlabelled code block by trying each lexer in turn: seconds on the event
loop before a lesson or an exercise appears. Here Rich renders the Markdown into lines in a
thread, at the widget's width (again when that changes), and the widget shows those lines: the
screen opens at once and the text follows. A long code line wraps inside the pane rather than
running past its edge. The text ships with the course: trusted, but Markdown, never Rich markup.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

CODE_THEME = "monokai"


def render_markdown(source: str, width: int) -> list[list[Segment]]:
    """`source` as lines of styled segments, `width` cells wide at most."""
    console = Console(file=io.StringIO(), width=width, color_system="truecolor",
                      force_terminal=True, legacy_windows=False)
    return console.render_lines(Markdown(source, code_theme=CODE_THEME),
                                console.options.update(width=width), pad=False)


class Reading(Widget):
    """`source` (Markdown), rendered off the event loop at the widget's width, and shown line by
    line: Textual asks for the lines on screen, not for the whole text at each layout."""

    DEFAULT_CSS = "Reading { height: auto; }"

    def __init__(self, source: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.rendered_width = 0  # the width `lines` were rendered at; 0 before the first
        self._wanted_width = 0
        self._strips = [Strip([Segment("Loading…", Style(dim=True))])]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._strips)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self._strips):
            return Strip.blank(width, self.rich_style)
        return self._strips[y].crop_extend(0, width, self.rich_style).apply_style(self.rich_style)

    def on_resize(self, event: events.Resize) -> None:
        # Rendered once the screen is laid out: a screen that opens sizes its panes more than
        # once, and a render for a width already gone is a render too many.
        self.call_after_refresh(self._render_for_width)

    def _render_for_width(self) -> None:
        width = self.content_size.width
        if width > 0 and width != self._wanted_width:
            self._wanted_width = width
            self._render_at(width)

    @work(thread=True, exclusive=True, group="reading")
    def _render_at(self, width: int) -> None:
        strips = [Strip(line) for line in render_markdown(self.source, width)]
        self.app.call_from_thread(self._show, width, strips)

    def _show(self, width: int, strips: list[Strip]) -> None:
        if width != self._wanted_width or not self.is_attached:  # resized again, or closed
            return
        self.rendered_width, self._strips = width, strips
        self.refresh(layout=True)

    @property
    def plain(self) -> str:
        """The text as shown, without styles, one line per line."""
        return "\n".join(strip.text for strip in self._strips) if self.rendered_width else ""
