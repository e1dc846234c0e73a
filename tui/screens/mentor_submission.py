"""One submission for a mentor: its report with every request and response, the feedback
thread beside it, and the keys to comment (on the whole or on one check) and to review.

The report is downloaded and read in a thread (a large one takes a while; Escape leaves at
once), and a review is sent with If-Match: when another mentor reviewed the submission
meanwhile, the mentor sees their verdict and is asked before replacing it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from apilab.hubclient import HubError, HubPreconditionFailed, HubUnreadable
from apilab.untrusted import clean
from apilab.views.mentor import (
    captures_text,
    feedback_markdown,
    report_problem,
    review_conflict,
    submission_heading,
)
from grader.report import Report, ReportUnreadable
from hub.protocol import Capture, Feedback, SubmissionDetail, SubmissionSummary, Unreadable
from tui.screens.mentor_base import MentorScreen
from tui.screens.mentor_editors import (
    ConfirmModal,
    FeedbackDraft,
    FeedbackEditor,
    ReviewDraft,
    ReviewModal,
)
from tui.widgets.key_footer import KeyFooter
from tui.widgets.plain import FeedbackMarkdown
from tui.widgets.report_view import ReportView
from tui.widgets.title_bar import TitleBar


@dataclass(frozen=True)
class Loaded:
    detail: SubmissionDetail | None  # None when it cannot be read
    report: Report | None  # None when it cannot be read
    problem: str | None  # why one of them cannot be read
    feedback: list[Feedback | Unreadable]
    captures: list[Capture | Unreadable] | None  # every learner's; None when unreadable
    captures_problem: str | None


@dataclass(frozen=True)
class Conflict:
    """A review refused with 412: the submission as it is now."""

    current: SubmissionDetail
    draft: ReviewDraft


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

    def __init__(self, summary: SubmissionSummary) -> None:
        super().__init__()
        self.submission = summary
        self.etag: str | None = None  # as the report was read: sent back with a review
        self.report: Report | None = None
        self.feedback: list[Feedback | Unreadable] = []
        self.unreadable: str | None = None  # why the submission itself could not be read

    @property
    def submission_id(self) -> str:
        return self.submission.id

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(submission_heading(self.submission), id="submission-heading")
        with Horizontal(id="submission-body"):
            yield ReportView(id="report")
            with VerticalScroll(id="thread-pane"):
                yield FeedbackMarkdown("*Loading…*", id="thread")
                yield Static(id="captures")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"{self.submission.learner}: {self.submission.exercise}"
        self.query_one("#thread-pane").border_title = "Feedback"
        self.query_one(ReportView).clear_report("Loading the report… (esc goes back)")
        self.reload()

    def reload(self) -> None:
        self.call_hub(self._load, self._show, "opening the submission", group="submission")

    def _load(self) -> Loaded:
        """In a thread: download the submission, read its report, fetch its feedback. What
        cannot be read says so in its place; the rest is shown."""
        client, sid = self.mentor.client, self.submission_id
        try:  # the learner's lab captures: a hub without them still shows the submission
            captures, captures_problem = client.captures(), None
        except HubError as exc:
            captures, captures_problem = None, str(exc)
        try:
            detail = client.submission(sid)
        except HubUnreadable as exc:  # its feedback may still be readable
            problem = clean(f"This submission is unreadable: {exc}")
            return Loaded(None, None, problem, client.feedback_on(sid), captures, captures_problem)
        try:
            report, problem = detail.report(), None
        except ReportUnreadable as exc:
            report, problem = None, report_problem(exc)
        return Loaded(detail, report, problem, client.feedback_on(sid), captures, captures_problem)

    async def _show(self, loaded: Loaded) -> None:
        if loaded.detail is not None:
            self.submission, self.etag = loaded.detail, loaded.detail.etag
        self.unreadable = loaded.problem if loaded.detail is None else None
        self.feedback = loaded.feedback
        first_load = self.report is None and loaded.report is not None
        self.report = self.report or loaded.report
        self.query_one("#submission-heading", Static).update(self._heading())
        self.query_one("#captures", Static).update(
            captures_text(self.submission.learner, loaded.captures, loaded.captures_problem))
        view = self.query_one(ReportView)
        if loaded.report is None:
            view.clear_report(loaded.problem or "The report cannot be read.")
        elif first_load:
            await view.show_report(loaded.report)
            view.focus()
        await self._show_thread()

    def _heading(self) -> Text:
        return submission_heading(self.submission, self.report)

    async def _show_thread(self) -> None:
        titles = {check.id: check.title for check in self.report.checks} if self.report else {}
        await self.query_one("#thread", FeedbackMarkdown).update(
            feedback_markdown(self.feedback, titles))

    def show_problem(self, message: str) -> None:
        heading = self._heading()
        heading.append(f"\n{clean(message)}", style="bold red")
        self.query_one("#submission-heading", Static).update(heading)

    # --- the check under the cursor -------------------------------------------------------------

    @property
    def focused_check(self) -> str | None:
        """The check the mentor is on: the one under the cursor, else the one open, else None."""
        view = self.query_one(ReportView)
        if view.current is not None:
            return view.current.check_id
        opened = [row for row in view.rows if not row.collapsed]
        return opened[0].check_id if len(opened) == 1 else None

    # --- feedback -------------------------------------------------------------------------------

    def action_feedback(self, check_id: str | None = None) -> None:
        if self.report is None:
            self.notify("There is no readable report to comment on yet.", severity="warning")
            return
        checks = [(check.id, check.title) for check in self.report.checks]
        who = f"{self.submission.learner} on {self.submission.exercise}"
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

    async def _feedback_sent(self, item: Feedback) -> None:
        self.notify("The learner sees it on their next sync.", title="Feedback sent")
        self.feedback.append(item)
        await self._show_thread()

    # --- review ---------------------------------------------------------------------------------

    def action_review(self, verdict: str) -> None:
        if self.etag is None:
            self.notify(self.unreadable or "The submission has not arrived yet.",
                        severity="warning")
            return
        item = self.submission
        heading = f"Review {item.learner}'s {item.exercise} ({item.status})"
        self.app.push_screen(ReviewModal(heading, verdict, item.score, item.max_score),
                             self._send_review)

    def _send_review(self, draft: ReviewDraft | None, if_match: str | None = None) -> None:
        if draft is None:
            return
        client, sid, etag = self.mentor.client, self.submission_id, if_match or self.etag

        def send() -> SubmissionSummary | Conflict:
            try:
                return client.review(sid, draft.verdict, draft.score_override, draft.reason,
                                     draft.body, if_match=etag)
            except HubPreconditionFailed:  # another mentor got there first: what did they say?
                return Conflict(client.submission(sid), draft)

        self.call_hub(send, self._reviewed, "sending the review", group="send", exclusive=False)

    def _reviewed(self, outcome: SubmissionSummary | Conflict) -> None:
        if isinstance(outcome, Conflict):
            current = outcome.current
            self.submission, self.etag = current, current.etag
            self.query_one("#submission-heading", Static).update(self._heading())
            self.app.push_screen(
                ConfirmModal(review_conflict(current, outcome.draft.verdict),
                             yes="Replace their review", no="Keep theirs"),
                lambda replace: self._send_review(outcome.draft, current.etag) if replace
                else self.reload())
            return
        label = {"approved": "Approved", "changes_requested": "Changes requested"}
        self.notify(f"{outcome.learner}'s {outcome.exercise}: score "
                    f"{outcome.effective_score}/{outcome.max_score}",
                    title=label.get(outcome.review_state, "Reviewed"))
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
