"""The course's own Markdown (a lesson's reading, an exercise's task) as one widget.

Textual's Markdown widget mounts a widget per block (hundreds for a long reading) and guesses
the language of every unlabelled code block by trying each lexer in turn: seconds on the event
loop before a lesson or an exercise appears. Here Rich renders the Markdown into lines in a
thread, at the widget's width (again when that changes), and the widget shows those lines: the
screen opens at once and the text follows. A long code line wraps inside the pane rather than
running past its edge. The text ships with the course: trusted, but Markdown, never Rich markup.

Rendering a long reading takes a tenth of a second, most of it for text below the fold: its
first screenful is rendered on the event loop, for the screen's first paint, and the whole of
it in the thread once that is painted. The lines are kept for the next opening at the same
width (a learner goes back and forth between a lesson and its exercise), which then shows them
before its first paint.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict

from rich.console import Console
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

CODE_THEME = "monokai"
# The text's lines as styled segments, made into a Textual `Strip` only when one is on screen:
# a strip holds seven caches, which for every line of the readings kept (RENDERED) made most of
# the objects that each full pass of the collector walks.
Lines = list[list[Segment]]


def render_markdown(source: str, width: int) -> Lines:
    """`source` as lines of styled segments, `width` cells wide at most."""
    console = Console(file=io.StringIO(), width=width, color_system="truecolor",
                      force_terminal=True, legacy_windows=False)
    return console.render_lines(Markdown(source, code_theme=CODE_THEME),
                                console.options.update(width=width), pad=False)


def opening(source: str, lines: int) -> str | None:
    """The beginning of `source`: its first `lines` lines at least, cut at a blank line outside
    a code block (so that no block is cut in two); None when that would be all of it."""
    in_code, offset = False, 0
    for number, line in enumerate(source.splitlines(keepends=True)):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        elif number >= lines and not in_code and not line.strip():
            return source[:offset] if source[offset:].strip() else None
        offset += len(line)
    return None


class RenderedReadings:
    """The lines of the readings rendered last, by text and width, for the next opening."""

    def __init__(self, most: int) -> None:
        self.most = most
        self._kept: OrderedDict[tuple[str, int], Lines] = OrderedDict()
        self._lock = threading.Lock()  # kept from render threads, read on the event loop

    def get(self, source: str, width: int) -> Lines | None:
        with self._lock:
            lines = self._kept.get((source, width))
            if lines is not None:
                self._kept.move_to_end((source, width))
            return lines

    def keep(self, source: str, width: int, lines: Lines) -> None:
        with self._lock:
            self._kept[(source, width)] = lines
            self._kept.move_to_end((source, width))
            while len(self._kept) > self.most:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


# A few readings: the lesson and the exercise open, at the widths of a wide and a narrow terminal.
RENDERED = RenderedReadings(most=8)


class Reading(Widget):
    """`source` (Markdown), rendered off the event loop at the widget's width, and shown line by
    line: Textual asks for the lines on screen, not for the whole text at each layout."""

    DEFAULT_CSS = "Reading { height: auto; }"

    def __init__(self, source: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.rendered_width = 0  # the width the whole text was rendered at; 0 before the first
        self.shown_width = 0  # the width of the lines shown: its opening first, then the whole
        self._wanted_width = 0
        self._lines: Lines = [[Segment("Loading…", Style(dim=True))]]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        width, style = self.size.width, self.rich_style  # worked out from the ancestors: once
        if y >= len(self._lines):
            return Strip.blank(width, style)
        return Strip(self._lines[y]).crop_extend(0, width, style).apply_style(style)

    def on_resize(self, event: events.Resize) -> None:
        width = self.content_size.width
        if width <= 0 or width == self._wanted_width:
            return
        self._wanted_width = width
        kept = RENDERED.get(self.source, width)
        if kept is not None:  # shown at once, before the screen's first paint
            self._show(width, kept, whole=True)
            return
        first = None if self.rendered_width else opening(self.source, self.screen.size.height)
        if first is not None:
            # The first screenful now, in a few milliseconds, for the screen's first paint: here,
            # not in the thread, which would compete with the screen's layout for the interpreter.
            self._show(width, render_markdown(first, width), whole=False)
        # The whole once the screen is laid out and painted: a screen that opens sizes its panes
        # more than once, and a whole render for a width already gone is a render too many.
        self.call_after_refresh(self._render_whole, width)

    def _render_whole(self, width: int) -> None:
        if width == self._wanted_width:  # else resized meanwhile: rendered for the new width
            self._render_at(width)

    @work(thread=True, exclusive=True, group="reading")
    def _render_at(self, width: int) -> None:
        lines = render_markdown(self.source, width)
        RENDERED.keep(self.source, width, lines)
        self.app.call_from_thread(self._show, width, lines, whole=True)

    def _show(self, width: int, lines: Lines, whole: bool) -> None:
        if width != self._wanted_width or not self.is_attached:  # resized again, or closed
            return
        self.shown_width, self._lines = width, lines
        if whole:
            self.rendered_width = width
        self.refresh(layout=True)

    @property
    def plain(self) -> str:
        """The text as shown, without styles, one line per line."""
        if not self.rendered_width:
            return ""
        return "\n".join("".join(segment.text for segment in line) for line in self._lines)
