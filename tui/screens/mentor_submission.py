"""One submission for a mentor: its report with every request and response, the feedback
thread beside it, and the keys to comment (on the whole or on one check) and to review."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static

from apilab.untrusted import clean
from apilab.views.mentor import (
    UNREADABLE_DATA,
    UNREADABLE_WHY,
    feedback_markdown,
    submission_heading,
)
from grader.report import Report
from tui.plain import FeedbackMarkdown
from tui.screens.mentor_base import MentorScreen
from tui.screens.mentor_editors import FeedbackDraft, FeedbackEditor, ReviewDraft, ReviewModal
from tui.widgets.report_view import ReportView


class SubmissionScreen(MentorScreen):
    """A submission's report and its feedback; `summary` is its row from the queue."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("f", "feedback", "Feedback"),
        Binding("c", "comment_check", "Comment on check"),
        Binding("a", "review('approved')", "Approve…"),
        Binding("x", "review('changes_requested')", "Request changes…"),
        Binding("r", "refresh", "Refresh"),
        Binding("y", "copy_curl", "Copy curl"),
    ]

    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__()
        self.submission = summary
        self.report: Report | None = None
        self.feedback: list[dict[str, Any]] = []

    @property
    def submission_id(self) -> str:
        return self.submission["id"]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(submission_heading(self.submission), id="submission-heading")
        with Horizontal(id="submission-body"):
            yield ReportView(id="report")
            with VerticalScroll(id="thread-pane"):
                yield FeedbackMarkdown("*Loading…*", id="thread")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = f"{self.submission['learner']}: {self.submission['exercise']}"
        self.query_one("#thread-pane").border_title = "Feedback"
        self.reload()

    def reload(self) -> None:
        client, sid = self.mentor.client, self.submission_id
        self.call_hub(lambda: (client.submission(sid), client.feedback_on(sid)), self._show,
                      "opening the submission", group="submission")

    async def _show(self, loaded: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
        detail, self.feedback = loaded
        self.submission = {k: v for k, v in detail.items() if k != "report"}
        self.query_one("#submission-heading", Static).update(submission_heading(self.submission))
        first_load = self.report is None
        try:
            self.report = Report.model_validate(detail["report"])
        except UNREADABLE_DATA:  # a validation error is a ValueError
            self.query_one(ReportView).clear_report(
                f"This report is unreadable: {UNREADABLE_WHY}. Its feedback is beside it.")
            first_load = False
        if first_load and self.report is not None:
            await self.query_one(ReportView).show_report(self.report)
            self.query_one(ReportView).focus()
        await self._show_thread()

    async def _show_thread(self) -> None:
        titles = {check.id: check.title for check in self.report.checks} if self.report else {}
        await self.query_one("#thread", FeedbackMarkdown).update(
            feedback_markdown(self.feedback, titles))

    def show_problem(self, message: str) -> None:
        heading = submission_heading(self.submission)
        heading.append(f"\n{clean(message)}", style="bold red")
        self.query_one("#submission-heading", Static).update(heading)

    # --- the check under the cursor -------------------------------------------------------------

    @property
    def focused_check(self) -> str | None:
        """The check the mentor is on: the focused row, else the one open, else None."""
        view = self.query_one(ReportView)
        focused = self.app.focused
        for row in view.rows:
            if focused is not None and (focused is row or row in focused.ancestors):
                return row.check_id
        opened = [row for row in view.rows if not row.collapsed]
        return opened[0].check_id if len(opened) == 1 else None

    # --- feedback -------------------------------------------------------------------------------

    def action_feedback(self, check_id: str | None = None) -> None:
        if self.report is None:
            self.notify("There is no readable report to comment on yet.", severity="warning")
            return
        checks = [(check.id, check.title) for check in self.report.checks]
        who = f"{self.submission['learner']} on {self.submission['exercise']}"
        self.app.push_screen(FeedbackEditor(f"Feedback for {who}", checks, check_id),
                             self._send_feedback)

    def action_comment_check(self) -> None:
        check_id = self.focused_check
        if check_id is None:
            self.notify("Move to a check first (tab, then the arrow keys), or press f to choose "
                        "one in the editor.", severity="warning")
            return
        self.action_feedback(check_id)

    def _send_feedback(self, draft: FeedbackDraft | None) -> None:
        if draft is None:
            return
        client, sid = self.mentor.client, self.submission_id
        self.call_hub(lambda: client.add_feedback(sid, draft.body, check_id=draft.check_id),
                      self._feedback_sent, "sending feedback", group="send", exclusive=False)

    async def _feedback_sent(self, item: dict[str, Any]) -> None:
        self.notify("The learner sees it on their next sync.", title="Feedback sent")
        self.feedback.append(item)
        await self._show_thread()

    # --- review ---------------------------------------------------------------------------------

    def action_review(self, verdict: str) -> None:
        item = self.submission
        heading = f"Review {item['learner']}'s {item['exercise']} ({item['status']})"
        self.app.push_screen(ReviewModal(heading, verdict, item["score"], item["max_score"]),
                             self._send_review)

    def _send_review(self, draft: ReviewDraft | None) -> None:
        if draft is None:
            return
        client, sid = self.mentor.client, self.submission_id
        self.call_hub(lambda: client.review(sid, draft.verdict, draft.score_override,
                                            draft.reason, draft.body),
                      self._reviewed, "sending the review", group="send", exclusive=False)

    def _reviewed(self, summary: dict[str, Any]) -> None:
        label = {"approved": "Approved", "changes_requested": "Changes requested"}
        self.notify(f"{summary['learner']}'s {summary['exercise']}: score "
                    f"{summary['effective_score']}/{summary['max_score']}",
                    title=label.get(summary["review_state"], "Reviewed"))
        self.reload()

    # --- other actions --------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_copy_curl(self) -> None:
        curl = self.query_one(ReportView).selected_curl()
        if curl is None:
            self.notify("This check made no request to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(curl)
        self.notify(curl, title="Copied to the clipboard")
