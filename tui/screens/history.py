"""Past runs of one exercise: open any report, and see what changed between two runs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from apilab.catalog.models import Exercise
from apilab.store import RunSummary
from apilab.untrusted import clean
from apilab.views.history import result_words
from apilab.views.times import when
from grader.report_diff import CheckChange, diff_reports
from tui.screens.base import ApilabScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.plain import PlainTable
from tui.widgets.title_bar import TitleBar


class HistoryScreen(ApilabScreen):
    """The exercise's runs, newest first. Enter opens one; m marks one, d compares with it."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "open_run", "Open"),
        Binding("m", "mark", "Mark"),
        Binding("d", "diff", "Diff"),
    ]

    def __init__(self, exercise: Exercise) -> None:
        super().__init__()
        self.exercise = exercise
        self.runs: list[RunSummary] = []
        self.marked: str | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(id="history-help")
        yield PlainTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"History: {self.exercise.title}"
        app = self.apilab
        self.runs = app.safe_store(app.store.runs, self.exercise.slug, limit=200, default=[])
        table = self.query_one(DataTable)
        table.add_columns(" ", "When", "Kind", "Result", "Score", "Seed", "Took", "URL", "Server")
        for run in self.runs:
            table.add_row(*self._cells(run), key=run.id)
        self.query_one("#history-help", Static).update(Text(
            f"{len(self.runs)} runs. Enter opens a report; m marks a run, d compares the "
            "highlighted run with the marked one (or with the run before it).", style="dim")
            if self.runs else Text("No runs yet: press r on the exercise to run the checks."))
        table.focus()

    def _cells(self, run: RunSummary) -> list[str | Text]:
        mark = "◆" if run.id == self.marked else ""
        style = {"pass": "green", "fail": "red"}.get(run.status, "yellow")
        return [mark, when(run.started_at), run.kind, Text(result_words(run.status), style=style),
                f"{run.score}/{run.max_score}", str(run.seed), f"{run.duration_ms:.0f} ms",
                run.url, Text(run.server or "—", style="" if run.server else "dim")]

    def _highlighted(self) -> RunSummary | None:
        table = self.query_one(DataTable)
        if not self.runs or table.cursor_row is None:
            return None
        return self.runs[table.cursor_row]

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_run()

    def action_open_run(self) -> None:
        from tui.screens.report import ReportScreen

        run = self._highlighted()
        if run is None:
            return
        report = self.apilab.safe_store(self.apilab.store.report, run.id, default=None)
        if report is not None:
            self.app.push_screen(ReportScreen(report, run.id))

    def action_mark(self) -> None:
        run = self._highlighted()
        if run is None:
            return
        previous, self.marked = self.marked, (None if self.marked == run.id else run.id)
        table = self.query_one(DataTable)
        for run_id in {previous, self.marked} - {None}:
            table.update_cell(run_id, table.ordered_columns[0].key,
                              "◆" if run_id == self.marked else "")

    def action_diff(self) -> None:
        run = self._highlighted()
        if run is None:
            return
        index = self.runs.index(run)
        other_id = self.marked if self.marked not in (None, run.id) else (
            self.runs[index + 1].id if index + 1 < len(self.runs) else None)
        if other_id is None:
            self.notify("Nothing to compare with: mark another run with m.", severity="warning")
            return
        other = next((r for r in self.runs if r.id == other_id), None)
        if other is None:  # the marked run is no longer listed
            self.marked = None
            self.notify("The marked run is gone: mark another run with m.", severity="warning")
            return
        older, newer = sorted([run, other], key=lambda r: r.started_at)
        store = self.apilab.store
        reports = [self.apilab.safe_store(store.report, r.id, default=None) for r in (older, newer)]
        if None in reports:
            return
        self.app.push_screen(DiffScreen(older, newer, diff_reports(reports[0], reports[1])))


def diff_text(older: RunSummary, newer: RunSummary, changes: list[CheckChange]) -> Text:
    text = Text()
    text.append(f"{when(older.started_at)}  {older.score}/{older.max_score}", style="bold")
    text.append("  →  ")
    text.append(f"{when(newer.started_at)}  {newer.score}/{newer.max_score}\n\n", style="bold")
    if not changes:
        text.append("No check changed between these two runs.\n", style="dim")
    styles = {"fixed": "green", "broken": "red", "new": "cyan", "gone": "dim", "reached": "cyan",
              "not run": "dim"}
    for change in changes:
        text.append(f"{change.label:>7}  ", style=f"bold {styles.get(change.label, '')}")
        text.append(f"{clean(change.title)}  ")
        text.append(clean(f"({change.before or '—'} → {change.after or '—'})") + "\n", style="dim")
    return text


class DiffScreen(ModalScreen[None]):
    """Which checks changed status between two runs."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("q", "close", "Close", show=False)]

    def __init__(self, older: RunSummary, newer: RunSummary, changes: list[CheckChange]) -> None:
        super().__init__()
        self.older, self.newer, self.changes = older, newer, changes

    def compose(self) -> ComposeResult:
        yield Static(diff_text(self.older, self.newer, self.changes), id="diff-box")

    def action_close(self) -> None:
        self.dismiss(None)
