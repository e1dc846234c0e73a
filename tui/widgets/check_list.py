"""The checks of a report as one widget: a row per check, its details below it once opened.

A failed check opens to what the grader sent, what came back, what was expected, the hint, why
it matters (with its standard) and the `curl` command that replays the request. Everything the
learner's server sent is shown as plain text, never interpreted as markup.

Only the rows on screen are drawn: the list's height comes from each row's line count, which
for a closed row is its title's, wrapped (a quarter of the cost of drawing it). A screen that
opens with a report of forty checks draws the dozen rows it shows.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from apilab.untrusted import clean, safe_text
from grader.report import CheckResult, Exchange

MARKS = {"pass": "✓", "fail": "✗", "pending": "·", "running": "…"}
BODY_LINES = 12
DETAIL_INDENT = 4
# A screen's layout asks the list for its height at more than one width (with a scrollbar and
# without) at each pass: the layouts of a few widths are kept, not worked out again each time.
KEPT_LAYOUTS = 4


def check_detail(result: CheckResult) -> Text:
    """Everything a learner needs to understand and reproduce one check's result."""
    text = Text()
    if result.message:
        text.append(clean(result.message) + "\n", style="bold")
    if result.expected is not None:
        text.append("Expected  ", style="bold green").append(clean(result.expected) + "\n")
    if result.received is not None:
        text.append("Received  ", style="bold red").append(clean(result.received) + "\n")
    if result.hint:
        text.append("Hint      ", style="bold yellow").append(clean(result.hint) + "\n")
    if result.why:
        text.append("Why       ", style="bold cyan").append(clean(result.why) + "\n")
    for exchange in result.exchanges:
        text.append("\n")
        text.append_text(exchange_text(exchange))
    return text


def exchange_text(exchange: Exchange) -> Text:
    text = Text()
    request = exchange.request
    text.append("Request   ", style="bold").append(clean(request.line) + "\n")
    for name, value in request.headers:
        text.append(clean(f"          {name}: {value}") + "\n", style="dim")
    if request.body:
        text.append(_excerpt(request.body, request.body_truncated), style="dim")
    response = exchange.response
    if response is not None:
        text.append("Response  ", style="bold").append(
            f"{clean(response.line)}  ({exchange.elapsed_ms:.0f} ms)\n")
        for name, value in response.headers:
            text.append(clean(f"          {name}: {value}") + "\n", style="dim")
        if response.body:
            text.append(_excerpt(response.body, response.body_truncated), style="dim")
    if exchange.error:
        text.append("Problem   ", style="bold red").append(clean(exchange.error) + "\n")
    text.append("curl      ", style="bold").append(clean(exchange.curl) + "\n", style="italic")
    return text


def _excerpt(body: str, truncated: bool) -> str:
    lines = clean(body).splitlines() or [body]
    shown = lines[:BODY_LINES]
    more = len(lines) > BODY_LINES or truncated
    return "".join(f"          {line}\n" for line in shown) + ("          …\n" if more else "")


def _title(check_title: str, state: str, points: str = "") -> Text:
    title = safe_text(f"{MARKS[state]} {check_title}")
    return title.append(f"  {points}", style="dim") if points else title


class CheckRow:
    """One check of the list: its state, and its details once opened (built then: a long
    report costs its titles, not its bodies)."""

    def __init__(self, view: CheckList, check_id: str, title: str, state: str = "pending",
                 result: CheckResult | None = None, collapsed: bool = True) -> None:
        self._view = view
        self.check_id, self.check_title, self.state, self.result = check_id, title, state, result
        self.detail: Text | None = None
        # CheckList's drawings of this row, by what they show: its lines, and its title's
        self.drawn: dict[tuple[object, ...], tuple[list[Strip], int]] = {}
        self._collapsed = True
        self.collapsed = collapsed

    @property
    def collapsed(self) -> bool:
        return self._collapsed

    @collapsed.setter
    def collapsed(self, collapsed: bool) -> None:
        self._collapsed = collapsed
        if not collapsed and self.detail is None and self.result is not None:
            self.detail = check_detail(self.result)
        self._view.changed()

    @property
    def title(self) -> Text:
        points = f"{self.result.points}/{self.result.max_points}" if self.result else ""
        return _title(self.check_title, self.state, points)

    def show_result(self, result: CheckResult, opened: bool) -> None:
        """The finished check in this row, which ran it."""
        self.result, self.state, self.detail = result, result.status, None
        self.collapsed = not opened

    @property
    def curl(self) -> str | None:
        """The curl command of this check's last request, if it made one."""
        if self.result and self.result.exchanges:
            return self.result.exchanges[-1].curl
        return None


class Layout(NamedTuple):
    """Where each row of the list is at one width."""

    starts: list[int]  # each row's first line
    heights: list[int]  # the lines each row takes, title and details
    title_heights: list[int]  # the lines each row's title takes

    @property
    def height(self) -> int:
        return self.starts[-1] + self.heights[-1] if self.starts else 0

    def row_at(self, y: int) -> int | None:
        """The index of the row at line `y`."""
        return bisect_right(self.starts, y) - 1 if 0 <= y < self.height else None


class CheckList(Widget):
    """Every check as one widget, a row each (a long title wraps), the open ones with their
    details below; the row under the cursor is highlighted while the report has focus.

    One widget, not a widget per check: Textual styles, lays out and restyles (on every change
    of focus or state) each widget it holds, which for a report of eighty checks took seconds.
    """

    COMPONENT_CLASSES = {"checks--pass", "checks--fail", "checks--running", "checks--pending",
                         "checks--cursor"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[CheckRow] = []
        self.cursor = 0
        self._layouts: dict[int, Layout] = {}  # by width
        self._height = 0  # the list's height, as laid out last
        self._colours: Style | None = None  # its own (rich_style): worked out from its ancestors
        self._settling = False  # a redraw is due

    def changed(self) -> None:
        """Draw again once the changes at hand are made (a run's end changes every row)."""
        self._layouts.clear()
        if not self._settling:
            self._settling = True
            self.call_later(self._settle)

    def on_unmount(self) -> None:
        # A report holds a hundred thousand objects. A closed screen is freed only by a full
        # pass of the collector (Textual's widgets refer to each other), which would find the
        # report's results still held by the rows, and take longer: they are let go now.
        self.rows = []
        self._layouts.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._colours = None  # the rows are drawn in the list's colours, which may have changed

    def _settle(self) -> None:
        # The screen is laid out again only when the list's height changed: a run changes one
        # row's mark at a time, a repaint of the list alone.
        self._settling = False
        height, width = self._height, self.size.width
        self.refresh(layout=width <= 0 or self._layout(width).height != height)

    @property
    def highlighted(self) -> bool:
        return self.parent is not None and self.parent.has_focus

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._layout(width).height

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        layout = self._layout(width)
        index = layout.row_at(y)
        if index is not None:
            lines, line = self._draw(index, width)[0], y - layout.starts[index]
            if line < len(lines):  # as measured: a row's title wraps as Text.wrap says
                return lines[line]
        return Strip.blank(width, self.rich_style)

    def row_at(self, y: int) -> tuple[CheckRow, bool] | None:
        """The row at line `y`, and whether `y` is on its title."""
        layout = self._layout(self.size.width)
        index = layout.row_at(y)
        if index is None:
            return None
        return self.rows[index], y < layout.starts[index] + layout.title_heights[index]

    def lines_of(self, row: CheckRow) -> range:
        """The lines `row` takes, title and details."""
        layout = self._layout(self.size.width)
        index = self.rows.index(row)
        return range(layout.starts[index], layout.starts[index] + layout.heights[index])

    def text_of(self, row: CheckRow) -> list[str]:
        """The lines of `row` as shown, without styles."""
        return [line.text.rstrip() for line in
                self._draw(self.rows.index(row), self.size.width)[0]]

    def on_click(self, event: events.Click) -> None:
        found = self.row_at(event.y)
        if found is None:
            return
        row, on_title = found
        self.cursor = self.rows.index(row)
        if on_title:
            row.collapsed = not row.collapsed
        self.changed()

    def _layout(self, width: int) -> Layout:
        if width <= 0:
            return Layout([], [], [])
        layout = self._layouts.get(width)
        if layout is None:
            layout = self._layouts[width] = self._lay_out(width)
            _forget_oldest(self._layouts, KEPT_LAYOUTS)
        self._height = layout.height
        return layout

    def _lay_out(self, width: int) -> Layout:
        starts: list[int] = []
        heights: list[int] = []
        title_heights: list[int] = []
        line = 0
        for index, row in enumerate(self.rows):
            if _opened(row, width):  # drawn now to be measured, and kept for when it is shown
                lines, title_height = self._draw(index, width)
                height = len(lines)
            else:  # its title wrapped, as drawing it would, without drawing it
                height = title_height = len(_heading(row).wrap(self.app.console, width))
            starts.append(line)
            heights.append(height)
            title_heights.append(title_height)
            line += height
        return Layout(starts, heights, title_heights)

    def _draw(self, index: int, width: int) -> tuple[list[Strip], int]:
        """The lines of one row, and how many of them its title takes; kept on the row until
        something they show changes (a run updates one row at a time)."""
        row = self.rows[index]
        cursor = index == self.cursor and self.highlighted
        if self._colours is None:
            self._colours = self.rich_style
        base = self._colours
        key = (width, cursor, row.state, row.collapsed, row.result is not None, base)
        if key in row.drawn:
            return row.drawn[key]
        console = self.app.console
        title = _heading(row)
        title.stylize(self.get_component_rich_style(f"checks--{row.state}"), 0, len(title))
        if cursor:
            title.stylize(self.get_component_rich_style("checks--cursor"))
        shown = [Strip(line).adjust_cell_length(width) for line in
                 console.render_lines(title, console.options.update_width(width), pad=False)]
        title_height = len(shown)
        if _opened(row, width):
            indent = Segment(" " * DETAIL_INDENT)
            shown += [Strip([indent, *line]).adjust_cell_length(width) for line in
                      console.render_lines(row.detail, console.options.update_width(
                          width - DETAIL_INDENT), pad=False)]
            shown.append(Strip.blank(width))
        shown = [line.apply_style(base) for line in shown]
        row.drawn[key] = shown, title_height
        _forget_oldest(row.drawn, 2 * KEPT_LAYOUTS)  # with and without the cursor
        return shown, title_height


def _opened(row: CheckRow, width: int) -> bool:
    """Whether `row` shows its details below its title."""
    return not row.collapsed and row.detail is not None and width > DETAIL_INDENT


def _heading(row: CheckRow) -> Text:
    """The title line of `row`, unstyled: whether it is open, its mark, title and points."""
    return Text("▶ " if row.collapsed else "▼ ").append_text(row.title)


def _forget_oldest(kept: dict, most: int) -> None:
    while len(kept) > most:
        del kept[next(iter(kept))]
