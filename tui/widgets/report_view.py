"""A grader report on screen: one row per check, live while grading, a failure opened up.

A failed check expands to what the grader sent, what came back, what was expected, the hint,
why it matters (with its standard) and the `curl` command that replays the request.
Everything the learner's server sent is shown as plain text, never interpreted as markup.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from apilab.catalog.models import Check
from apilab.untrusted import clean, safe_text
from grader.report import CheckResult, Exchange, Report
from tui.widgets.stage_steps import StageSteps

MARKS = {"pass": "✓", "fail": "✗", "pending": "·", "running": "…"}
BODY_LINES = 12
DETAIL_INDENT = 4
MAX_ROWS = 300  # a report may hold more checks (one from a hostile or broken machine): the
# failed ones come first among those shown, and a line says how many are left out
# A screen's layout asks the list for its height at more than one width (with a scrollbar and
# without) at each pass: the lines drawn for a few widths are kept, not drawn again each time.
KEPT_DRAWINGS = 4


def summary_line(report: Report) -> str:
    if report.status == "error":
        return clean(f"Nothing could be graded: {report.message}")
    verdict = "all checks passed" if report.status == "pass" else (
        f"{report.passed} of {len(report.checks)} checks passed")
    if waiting := report.waiting:
        verdict += f", {waiting} in later stages not run yet"
    return (f"{report.score}/{report.max_score} points, {verdict} · seed {report.seed} · "
            f"{report.duration_ms:.0f} ms")


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
        self._drawings: dict[tuple[int, bool], Drawing] = {}  # by (width, highlighted)
        self._last = Drawing([], [], [], [])  # the one drawn last
        self._settling = False  # a redraw is due

    def changed(self) -> None:
        """Draw again once the changes at hand are made (a run's end changes every row)."""
        self._drawings.clear()
        if not self._settling:
            self._settling = True
            self.call_later(self._settle)

    def _settle(self) -> None:
        # The screen is laid out again only when the list's height changed: a run changes one
        # row's mark at a time, a repaint of the list alone.
        self._settling = False
        height, width = len(self._last.lines), self.size.width
        self.refresh(layout=width <= 0 or len(self._build(width).lines) != height)

    @property
    def highlighted(self) -> bool:
        return self.parent is not None and self.parent.has_focus

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._build(width).lines)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        lines = self._build(width).lines
        return lines[y] if y < len(lines) else Strip.blank(width, self.rich_style)

    def row_at(self, y: int) -> tuple[CheckRow, bool] | None:
        """The row at line `y`, and whether `y` is on its title."""
        drawing = self._build(self.size.width)
        if not 0 <= y < len(drawing.owners):
            return None
        index = drawing.owners[y]
        return self.rows[index], y < drawing.starts[index] + drawing.title_heights[index]

    def lines_of(self, row: CheckRow) -> range:
        """The lines `row` takes, title and details."""
        drawing = self._build(self.size.width)
        index = self.rows.index(row)
        start = drawing.starts[index]
        end = drawing.starts[index + 1] if index + 1 < len(self.rows) else len(drawing.lines)
        return range(start, end)

    def text_of(self, row: CheckRow) -> list[str]:
        """The lines of `row` as shown, without styles."""
        lines = self._build(self.size.width).lines
        return [lines[y].text.rstrip() for y in self.lines_of(row)]

    def on_click(self, event: events.Click) -> None:
        found = self.row_at(event.y)
        if found is None:
            return
        row, on_title = found
        self.cursor = self.rows.index(row)
        if on_title:
            row.collapsed = not row.collapsed
        self.changed()

    def _build(self, width: int) -> Drawing:
        if width <= 0:
            return Drawing([], [], [], [])
        key = (width, self.highlighted)
        drawing = self._drawings.get(key)
        if drawing is None:
            drawing = self._drawings[key] = self._draw_all(width, key[1])
            _forget_oldest(self._drawings, KEPT_DRAWINGS)
        self._last = drawing
        return drawing

    def _draw_all(self, width: int, highlighted: bool) -> Drawing:
        lines: list[Strip] = []
        owners: list[int] = []
        starts: list[int] = []
        title_heights: list[int] = []
        base = self.rich_style  # the list's own colours: costly to work out, so once here
        for index, row in enumerate(self.rows):
            shown, title_height = self._draw(row, width, index == self.cursor and highlighted,
                                             base)
            starts.append(len(lines))
            title_heights.append(title_height)
            lines += shown
            owners += [index] * len(shown)
        return Drawing(lines, owners, starts, title_heights)

    def _draw(self, row: CheckRow, width: int, cursor: bool,
              base: Style) -> tuple[list[Strip], int]:
        """The lines of one row, and how many of them its title takes; kept on the row until
        something they show changes (a run updates one row at a time)."""
        key = (width, cursor, row.state, row.collapsed, row.result is not None, base)
        if key in row.drawn:
            return row.drawn[key]
        console = self.app.console
        title = Text("▶ " if row.collapsed else "▼ ").append_text(row.title)
        title.stylize(self.get_component_rich_style(f"checks--{row.state}"), 0, len(title))
        if cursor:
            title.stylize(self.get_component_rich_style("checks--cursor"))
        shown = [Strip(line).adjust_cell_length(width) for line in
                 console.render_lines(title, console.options.update_width(width), pad=False)]
        title_height = len(shown)
        if not row.collapsed and row.detail is not None and width > DETAIL_INDENT:
            indent = Segment(" " * DETAIL_INDENT)
            shown += [Strip([indent, *line]).adjust_cell_length(width) for line in
                      console.render_lines(row.detail, console.options.update_width(
                          width - DETAIL_INDENT), pad=False)]
            shown.append(Strip.blank(width))
        shown = [line.apply_style(base) for line in shown]
        row.drawn[key] = shown, title_height
        _forget_oldest(row.drawn, 2 * KEPT_DRAWINGS)  # with and without the cursor
        return shown, title_height


class Drawing(NamedTuple):
    """The list's lines at one width, and where each row is in them."""

    lines: list[Strip]
    owners: list[int]  # the row each line belongs to
    starts: list[int]  # each row's first line
    title_heights: list[int]  # the lines each row's title takes


def _forget_oldest(kept: dict, most: int) -> None:
    while len(kept) > most:
        del kept[next(iter(kept))]


class ReportView(VerticalScroll):
    """The checks of one run: pending, running, or their results. Up and down move between
    checks; enter (or a click on its title) opens or closes one."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Previous check", show=False),
        Binding("down", "cursor(1)", "Next check", show=False),
        Binding("enter,space", "toggle", "Open or close", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield StageSteps(id="stage-steps")
        yield Static("No run yet. Press r to run the checks.", id="report-summary")
        yield CheckList(id="checks")

    @property
    def checks(self) -> CheckList:
        return self.query_one(CheckList)

    @property
    def rows(self) -> list[CheckRow]:
        return list(self.checks.rows)

    def row(self, check_id: str) -> CheckRow:
        return next(row for row in self.rows if row.check_id == check_id)

    def select(self, check_id: str) -> None:
        """Put the cursor on a check, if it is shown."""
        checks = self.checks
        ids = [row.check_id for row in checks.rows]
        if check_id in ids:
            checks.cursor = ids.index(check_id)
            checks.changed()

    @property
    def current(self) -> CheckRow | None:
        """The check under the cursor while the report has focus."""
        checks = self.checks
        return checks.rows[checks.cursor] if self.has_focus and checks.rows else None

    def on_focus(self) -> None:
        self.checks.changed()

    def on_blur(self) -> None:
        self.checks.changed()

    def action_cursor(self, step: int) -> None:
        checks = self.checks
        if not checks.rows:
            return
        checks.cursor = max(0, min(len(checks.rows) - 1, checks.cursor + step))
        checks.changed()
        self.call_after_refresh(self._show_cursor)

    def action_toggle(self) -> None:
        row = self.current
        if row is not None:
            row.collapsed = not row.collapsed
            self.call_after_refresh(self._show_cursor)

    def _show_cursor(self) -> None:
        checks = self.checks
        if checks.rows:
            lines = checks.lines_of(checks.rows[checks.cursor])
            top = checks.virtual_region.y + lines.start
            self.scroll_to_region(Region(0, top, 1, min(len(lines), self.scrollable_content_region.height)),
                                  animate=False)

    async def show_pending(self, checks: list[Check]) -> None:
        """Before a run: every check listed, none run yet."""
        self._set_rows([(check.id, check.title, "pending", None) for check in checks], None)
        self._summary(f"Running {len(checks)} checks…", "running")

    def show_running(self, index: int, total: int, check: Check) -> None:
        self._set_state(index, "running")
        self._summary(f"Running check {index + 1} of {total}: {check.title}", "running")

    def show_result(self, index: int, result: CheckResult) -> None:
        self._set_state(index, result.status)

    async def show_report(self, report: Report, focus_check: str | None = None) -> None:
        """A finished run with one check open: `focus_check` when given, else the first failed
        one (the others a key or a click away)."""
        if focus_check is None:
            focus_check = next((c.id for c in report.checks if not c.passed), None)
        shown = _bounded(report.checks)
        running = self.rows
        if [row.check_id for row in running] == [result.id for result in shown]:
            # the rows of the run that just ended: filled in where they are
            for row, result in zip(running, shown, strict=True):
                row.show_result(result, opened=result.id == focus_check)
            if focus_check is not None:
                self.select(focus_check)
        else:
            self._set_rows([(result.id, result.title, result.status, result) for result in shown],
                           focus_check)
        summary = summary_line(report)
        if len(shown) < len(report.checks):
            summary += (f" · showing {len(shown)} of {len(report.checks)} checks, failed ones "
                        "first")
        self._summary(summary, report.status)
        self.query_one(StageSteps).show(report)

    def clear_report(self, message: str) -> None:
        self._set_rows([], None)
        self.query_one(StageSteps).show(None)
        self._summary(message, "idle")

    def selected_curl(self) -> str | None:
        """The curl command of the check the learner is looking at: the one under the cursor,
        else the first expanded failed one, else the first failed one."""
        current = self.current
        if current is not None and current.curl:
            return current.curl
        failed = [row for row in self.rows if row.state == "fail" and row.curl]
        expanded = [row for row in failed if not row.collapsed]
        chosen = (expanded or failed or [None])[0]
        return chosen.curl if chosen else None

    def _set_rows(self, rows: list[tuple[str, str, str, CheckResult | None]],
                  opened: str | None) -> None:
        checks = self.checks
        checks.rows = [CheckRow(checks, check_id, title, state, result,
                                collapsed=check_id != opened)
                       for check_id, title, state, result in rows]
        ids = [row.check_id for row in checks.rows]
        checks.cursor = ids.index(opened) if opened in ids else 0
        checks.changed()

    def _set_state(self, index: int, state: str) -> None:
        rows = self.checks.rows
        if index < len(rows):
            rows[index].state = state
            self.checks.changed()

    def _summary(self, text: str, state: str) -> None:
        summary = self.query_one("#report-summary", Static)
        summary.update(safe_text(text))
        summary.set_classes(f"-{state}")


def _bounded(checks: list[CheckResult]) -> list[CheckResult]:
    """At most MAX_ROWS checks, in the report's order: the failed ones, then passed ones."""
    if len(checks) <= MAX_ROWS:
        return checks
    failed = [index for index, check in enumerate(checks) if not check.passed][:MAX_ROWS]
    passed = [index for index, check in enumerate(checks) if check.passed]
    chosen = sorted([*failed, *passed[:MAX_ROWS - len(failed)]])
    return [checks[index] for index in chosen]
