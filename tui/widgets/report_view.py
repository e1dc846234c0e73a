"""A grader report on screen: the run's summary, its stages, and its checks (live while
grading, a failure opened up: tui/widgets/check_list.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.widgets import Static

from apilab.catalog.models import Check
from apilab.untrusted import clean, safe_text
from grader.report import CheckResult, Report
from tui.widgets.check_list import CheckList, CheckRow
from tui.widgets.stage_steps import StageSteps

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

    # The cursor's row is highlighted while the report has focus: drawn again, nothing moves.
    def on_focus(self) -> None:
        self.checks.refresh()

    def on_blur(self) -> None:
        self.checks.refresh()

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
