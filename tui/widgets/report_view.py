"""A grader report on screen: one row per check, live while grading, a failure opened up.

A failed check expands to what the grader sent, what came back, what was expected, the hint,
why it matters (with its standard) and the `curl` command that replays the request.
Everything the learner's server sent is shown as plain text, never interpreted as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Static

from apilab.catalog.models import Check
from apilab.untrusted import clean, safe_text
from grader.report import CheckResult, Exchange, Report
from tui.widgets.stage_steps import StageSteps

MARKS = {"pass": "✓", "fail": "✗", "pending": "·", "running": "…"}
BODY_LINES = 12
MAX_ROWS = 300  # a report may hold more checks (one from a hostile or broken machine): the
# failed ones come first among those shown, and a line says how many are left out


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


class CheckRow(Collapsible):
    """One check: its state in the title, its details inside."""

    def __init__(self, check_id: str, title: str, state: str = "pending",
                 result: CheckResult | None = None) -> None:
        self.check_id = check_id
        self.check_title = title
        self.state = state
        self.result = result
        points = f"{result.points}/{result.max_points}" if result else ""
        collapsed = not (result is not None and not result.passed)
        super().__init__(title=_title(title, state, points), collapsed=collapsed,
                         classes=f"check -{state}")

    def on_mount(self) -> None:
        if not self.collapsed:
            self._mount_detail()

    def on_collapsible_expanded(self, event: Collapsible.Expanded) -> None:
        # Details are built when first opened: a long report costs its titles, not its bodies.
        if event.collapsible is self and not self.collapsed:
            self._mount_detail()

    def _mount_detail(self) -> None:
        if self.result is not None and not self.query(".check-detail"):
            self.query_one(Collapsible.Contents).mount(
                Static(check_detail(self.result), classes="check-detail"))

    def set_state(self, state: str) -> None:
        self.remove_class(f"-{self.state}")
        self.state = state
        self.add_class(f"-{state}")
        self.title = _title(self.check_title, state)

    async def show_result(self, result: CheckResult, opened: bool) -> None:
        """The finished check in this row, which ran it: no new row to mount."""
        await self.query(".check-detail").remove()
        self.result = result
        self.set_state(result.status)
        self.title = _title(self.check_title, result.status, f"{result.points}/{result.max_points}")
        self.collapsed = not opened
        if opened:
            self._mount_detail()

    @property
    def curl(self) -> str | None:
        """The curl command of this check's last request, if it made one."""
        if self.result and self.result.exchanges:
            return self.result.exchanges[-1].curl
        return None


class ReportView(VerticalScroll):
    """The checks of one run: pending, running, or their results."""

    def compose(self) -> ComposeResult:
        yield StageSteps(id="stage-steps")
        yield Static("No run yet. Press r to run the checks.", id="report-summary")

    @property
    def rows(self) -> list[CheckRow]:
        return list(self.query(CheckRow))

    def row(self, check_id: str) -> CheckRow:
        return next(row for row in self.rows if row.check_id == check_id)

    async def show_pending(self, checks: list[Check]) -> None:
        """Before a run: every check listed, none run yet."""
        await self._replace([CheckRow(check.id, check.title) for check in checks])
        self._summary(f"Running {len(checks)} checks…", "running")

    def show_running(self, index: int, total: int, check: Check) -> None:
        rows = self.rows
        if index < len(rows):
            rows[index].set_state("running")
        self._summary(f"Running check {index + 1} of {total}: {check.title}", "running")

    def show_result(self, index: int, result: CheckResult) -> None:
        rows = self.rows
        if index < len(rows):
            rows[index].set_state(result.status)

    async def show_report(self, report: Report, focus_check: str | None = None) -> None:
        """A finished run with one check open: `focus_check` when given, else the first failed
        one (the others a key or a click away)."""
        if focus_check is None:
            focus_check = next((c.id for c in report.checks if not c.passed), None)
        shown = _bounded(report.checks)
        running = self.rows
        if [row.check_id for row in running] == [result.id for result in shown]:
            # the rows of the run that just ended: filled in where they are, not mounted again
            for row, result in zip(running, shown, strict=True):
                await row.show_result(result, opened=result.id == focus_check)
        else:
            rows = []
            for result in shown:
                row = CheckRow(result.id, result.title, result.status, result)
                row.collapsed = result.id != focus_check
                rows.append(row)
            await self._replace(rows)
        summary = summary_line(report)
        if len(shown) < len(report.checks):
            summary += (f" · showing {len(shown)} of {len(report.checks)} checks, failed ones "
                        "first")
        self._summary(summary, report.status)
        self.query_one(StageSteps).show(report)

    def clear_report(self, message: str) -> None:
        self.query(CheckRow).remove()
        self.query_one(StageSteps).show(None)
        self._summary(message, "idle")

    def selected_curl(self) -> str | None:
        """The curl command of the check the learner is looking at: the focused row, else the
        first expanded failed one, else the first failed one."""
        focused = self.app.focused
        for row in self.rows:
            inside = focused is not None and (focused is row or row in focused.ancestors)
            if inside and row.curl:
                return row.curl
        failed = [row for row in self.rows if row.state == "fail" and row.curl]
        expanded = [row for row in failed if not row.collapsed]
        chosen = (expanded or failed or [None])[0]
        return chosen.curl if chosen else None

    async def _replace(self, rows: list[CheckRow]) -> None:
        await self.query(CheckRow).remove()
        await self.mount_all(rows)

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
