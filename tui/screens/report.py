"""One past run's report, on its own or beside the mentor feedback that refers to it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from apilab.store import Feedback
from apilab.untrusted import clean
from apilab.views.times import when
from grader.report import Report
from tui.screens.base import ApilabScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.plain import FeedbackMarkdown
from tui.widgets.report_view import ReportView
from tui.widgets.title_bar import TitleBar

VERDICT_LABELS = {"approved": "approved", "changes_requested": "changes requested"}


def verdict_label(verdict: str) -> str:
    """A mentor's verdict in words; one this version does not know, cleaned, as it came."""
    return VERDICT_LABELS.get(verdict, clean(verdict))


def feedback_heading(note: Feedback) -> Text:
    text = Text()
    text.append(clean(note.author), style="bold").append(f"  {when(note.created_at)}\n", style="dim")
    if note.verdict:
        style = "bold green" if note.verdict == "approved" else "bold yellow"
        text.append(f"verdict: {verdict_label(note.verdict)}\n", style=style)
    override = note.score_override
    if override is not None:
        reason = note.reason or "no reason given"
        text.append(clean(f"score set to {override}: "), style="bold yellow")
        text.append(clean(reason) + "\n")
    if note.check_id:
        text.append(clean(f"on check: {note.check_id}") + "\n", style="dim")
    return text


class ReportScreen(ApilabScreen):
    """A stored report; with `feedback`, the mentor's note beside it."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("y", "copy_curl", "Copy curl"),
    ]

    def __init__(self, report: Report, run_id: str, feedback: Feedback | None = None) -> None:
        super().__init__()
        self.report, self.run_id, self.feedback = report, run_id, feedback

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="report-body"):
            if self.feedback is not None:
                with VerticalScroll(id="feedback-pane"):
                    yield Static(feedback_heading(self.feedback), id="feedback-heading")
                    yield FeedbackMarkdown(self.feedback.body, id="feedback-body")
            yield ReportView(id="report")
        yield KeyFooter()

    async def on_mount(self) -> None:
        self.title = f"{self.report.exercise}: run of {when(self.report.started_at)}"
        focus = self.feedback.check_id if self.feedback else None
        await self.query_one(ReportView).show_report(self.report, focus_check=focus)
        self.query_one(ReportView).focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_copy_curl(self) -> None:
        curl = self.query_one(ReportView).selected_curl()
        if curl is None:
            self.notify("This run has no failed request to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(curl)
        self.notify(curl, title="Copied to the clipboard")
