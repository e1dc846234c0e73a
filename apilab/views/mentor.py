"""What the mentor's screens say, as plain text and Rich text: no Textual here, so it is easy to
test. Hub data arrives as the typed models of hub.protocol (SubmissionSummary, Feedback,
CohortStats).

Every string in them was written by a learner, a mentor or the hub: each goes through
`apilab.untrusted.clean`, into `Text` (never markup) or, escaped, into Markdown. An item of a
list that this version could not read arrives as `hub.protocol.Unreadable`, and is shown as
unreadable, with why, in its place; the rest of its screen works."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import ValidationError
from rich.text import Text

from apilab.hubclient import (
    HubAuthError,
    HubError,
    HubNotFound,
    HubRateLimited,
    HubUnavailable,
    HubUnreadable,
)
from apilab.untrusted import clean, safe_text
from apilab.views.markdown import escape
from apilab.views.times import when
from grader.report import Report, ReportUnreadable
from hub.protocol import Capture, Feedback, SubmissionSummary, Unreadable, unreadable_because
from sandbox_api.lab_flags import CHALLENGES_BY_ID

REVIEW_LABELS = {"awaiting": "awaiting", "approved": "approved",
                 "changes_requested": "changes requested"}
REVIEW_STYLES = {"awaiting": "yellow", "approved": "green", "changes_requested": "red"}
LOGIN_AGAIN = "log in with a mentor token: apilab login HUB_URL --token TOKEN"
QUEUE_COLUMNS = ("learner", "exercise", "score", "status", "submitted", "review")
UNREADABLE_WHY = "the hub sent something this version of apilab does not understand"


def unreadable(what: str = "unreadable") -> Text:
    """What stands in for an item of hub data that could not be read."""
    return Text(what, style="dim italic")


def why_unreadable(item: Unreadable) -> str:
    """Why an item could not be read, in the one wording the apps use, cleaned."""
    return clean(f"{UNREADABLE_WHY} ({item.why})")


def report_problem(exc: ReportUnreadable) -> str:
    """What to tell a mentor about a report that cannot be read: which fields are at fault,
    never the values sent."""
    cause = exc.__cause__
    why = unreadable_because(cause) if isinstance(cause, ValidationError) else str(exc)
    return clean(f"This report is unreadable: {UNREADABLE_WHY} ({why}). Its feedback is "
                 "beside it.")


def when_iso(moment: str | None) -> str:
    """A hub timestamp (ISO 8601) in local time, to the minute; the raw text if unparseable."""
    if not moment:
        return "never"
    try:
        return when(datetime.fromisoformat(moment))
    except ValueError:
        return clean(moment)


def review_label(state: str) -> Text:
    return safe_text(REVIEW_LABELS.get(state, state), style=REVIEW_STYLES.get(state, ""))


def score_label(submission: SubmissionSummary) -> str:
    """`effective/max`, marked with `*` when a mentor's override replaced the grader's score."""
    mark = "*" if submission.overridden else ""
    return f"{submission.effective_score}/{submission.max_score}{mark}"


def queue_row(submission: SubmissionSummary | Unreadable) -> tuple[Text, ...]:
    """The cells of a submission's row in the queue, one per QUEUE_COLUMNS; a submission that
    could not be read is a row that says so (Enter on it says why)."""
    if isinstance(submission, Unreadable):
        return (unreadable(), *(unreadable("") for _ in QUEUE_COLUMNS[1:]))
    status = submission.status
    return (safe_text(submission.learner), safe_text(submission.exercise),
            safe_text(score_label(submission)),
            safe_text(status, style="green" if status == "pass" else "red"),
            safe_text(when_iso(submission.created_at)), review_label(submission.review_state))


def submission_heading(submission: SubmissionSummary, report: Report | None = None) -> Text:
    """Who, what, when, and where the review stands: the line above a submission's report;
    with its `report`, whether a newer apilab wrote it."""
    text = Text()
    text.append(clean(submission.learner), style="bold").append(" · ")
    text.append(clean(submission.exercise), style="bold")
    text.append(clean(f" · {submission.kind} · {submission.status} · score "
                      f"{score_label(submission)} · "))
    text.append(f"submitted {when_iso(submission.created_at)} · ", style="dim")
    text.append_text(review_label(submission.review_state))
    review = submission.review
    if review:
        text.append(clean(f" by {review.reviewed_by}, {when_iso(review.reviewed_at)}"),
                    style="dim")
        if review.score_override is not None:
            text.append(clean(f"\nscore overridden: {submission.score} → {review.score_override}"
                              f" ({review.reason or 'no reason given'})"), style="yellow")
    if report is not None and report.from_newer_version:
        text.append(f"\nWritten by a newer apilab (report schema {report.schema_version}): what "
                    "this version does not know is not shown.", style="yellow")
    return text


def review_conflict(current: SubmissionSummary, mine: str) -> Text:
    """What a mentor reads when another mentor reviewed the submission first: their verdict,
    and the question whether to replace it with `mine`."""
    review = current.review
    text = Text("Another mentor reviewed this submission while you were writing.\n\n",
                style="bold")
    if review is None:
        text.append("Its review changed since you opened it.\n")
    else:
        text.append(clean(review.reviewed_by), style="bold").append(" ")
        text.append_text(review_label(review.verdict))
        text.append(f" it, {when_iso(review.reviewed_at)}")
        if review.score_override is not None:
            text.append(clean(f", with the score set to {review.score_override}/"
                              f"{current.max_score} ({review.reason or 'no reason given'})"))
        text.append(".\n")
    text.append("\nReplace their review with yours (")
    text.append_text(review_label(mine))
    text.append(")?")
    return text


def feedback_markdown(items: Iterable[Feedback | Unreadable], titles: dict[str, str]) -> str:
    """The feedback thread of a submission, oldest first, as one Markdown document. Names,
    titles and reasons are escaped, so only a note's body is Markdown; an item that could not
    be read says so, and why, in its place."""
    parts = [f"*An unreadable feedback item: {escape(why_unreadable(item))}.*"
             if isinstance(item, Unreadable) else _feedback_item(item, titles) for item in items]
    return "\n\n---\n\n".join(parts) if parts else "*No feedback yet.* Press **f** to write some."


def _feedback_item(item: Feedback, titles: dict[str, str]) -> str:
    def literal(value: object) -> str:
        return escape(clean(str(value)))

    head = f"**{literal(item.author)}** · {literal(when_iso(item.created_at))}"
    if item.check_id:
        head += f" · on *{literal(titles.get(item.check_id, item.check_id))}*"
    lines = [head]
    if item.kind == "review":
        verdict = item.verdict or ""
        lines.append(f"Verdict: **{literal(REVIEW_LABELS.get(verdict, verdict))}**")
        if item.score_override is not None:
            lines.append(f"Score set to **{literal(item.score_override)}**: "
                         f"{literal(item.reason or '')}")
    if item.body:
        lines.append(clean(item.body))  # Markdown, as its author wrote it
    return "\n\n".join(lines)


def captures_text(learner: str, captures: Iterable[Capture | Unreadable] | None,
                  problem: str | None = None) -> Text:
    """The security lab flags `learner` captured, oldest first: category, challenge, when.
    `captures` holds every capture the mentor may see (the learner's are picked here); None,
    with `problem`, when the hub could not say."""
    text = Text("Security lab\n", style="bold")
    if captures is None:
        return text.append(clean(f"Captures could not be read: {problem}"), style="red")
    captures = list(captures)
    theirs = [c for c in captures if isinstance(c, Capture) and c.learner == learner]
    if not theirs:
        text.append(clean(f"{learner} has captured no flag yet."), style="dim")
    for capture in theirs:
        known = CHALLENGES_BY_ID.get(capture.challenge)
        text.append(f"⚑ {clean(capture.category):<5} ", style="green")
        text.append(clean(capture.challenge), style="bold")
        text.append(f" · {when_iso(capture.captured_at)}", style="dim")
        if known is not None:  # a challenge this version knows: its task, from the course
            text.append(f"\n   {known.title}", style="dim")
        text.append("\n")
    skipped = sum(1 for c in captures if isinstance(c, Unreadable))
    if skipped:  # an unreadable item names nobody: it may be this learner's
        text.append_text(unreadable(f"{skipped} capture{'' if skipped == 1 else 's'} unreadable "
                                    f"({UNREADABLE_WHY})"))
    text.rstrip()
    return text


def pass_rate_bar(rate: float, width: int = 20) -> Text:
    """A bar of `width` cells and the percentage: green when most pass, red when most fail."""
    rate = min(max(rate, 0.0), 1.0)
    filled = round(rate * width)
    style = "green" if rate >= 0.8 else "yellow" if rate >= 0.5 else "red"
    text = Text("█" * filled, style=style)
    text.append("░" * (width - filled), style="dim")
    text.append(f" {rate:>4.0%}")
    return text


def explain(exc: HubError) -> tuple[str, str]:
    """(title, message) for a hub failure, saying what happened and what to do next."""
    if isinstance(exc, HubRateLimited):
        return "The hub asks you to slow down", f"Try again in {exc.retry_after:g} s."
    if isinstance(exc, HubUnavailable):
        return "The hub is unreachable", f"{exc}. Press r to try again."
    if isinstance(exc, HubAuthError):
        if exc.status == 403:
            return "The hub refused", f"{exc}. This needs a mentor token: {LOGIN_AGAIN}."
        return ("Your token was refused",
                f"The hub no longer accepts your token (revoked or mistyped); {LOGIN_AGAIN}.")
    if isinstance(exc, HubNotFound):
        return "Not found on the hub", f"{exc}. It may have been removed; press r to refresh."
    if isinstance(exc, HubUnreadable):
        return "The hub's answer is unreadable", str(exc)
    return "The hub refused", str(exc)
