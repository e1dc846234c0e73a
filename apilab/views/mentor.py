"""What the mentor's screens say, as plain text and Rich text: no Textual here, so it is easy to
test. Hub data arrives as the typed models of hub.protocol (SubmissionSummary, Feedback,
CohortStats)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text

from apilab.hubclient import HubAuthError, HubError, HubNotFound, HubRateLimited, HubUnavailable
from apilab.views.times import when
from hub.protocol import Feedback, SubmissionSummary

REVIEW_LABELS = {"awaiting": "awaiting", "approved": "approved",
                 "changes_requested": "changes requested"}
REVIEW_STYLES = {"awaiting": "yellow", "approved": "green", "changes_requested": "red"}
LOGIN_AGAIN = "log in with a mentor token: apilab login HUB_URL --token TOKEN"


def when_iso(moment: str | None) -> str:
    """A hub timestamp (ISO 8601) in local time, to the minute; the raw text if unparseable."""
    if not moment:
        return "never"
    try:
        return when(datetime.fromisoformat(moment))
    except ValueError:
        return moment


def review_label(state: str) -> Text:
    return Text(REVIEW_LABELS.get(state, state), style=REVIEW_STYLES.get(state, ""))


def score_label(submission: SubmissionSummary) -> str:
    """`effective/max`, marked with `*` when a mentor's override replaced the grader's score."""
    mark = "*" if submission.overridden else ""
    return f"{submission.effective_score}/{submission.max_score}{mark}"


def submission_heading(submission: SubmissionSummary) -> Text:
    """Who, what, when, and where the review stands: the line above a submission's report."""
    text = Text()
    text.append(submission.learner, style="bold").append(" · ")
    text.append(submission.exercise, style="bold").append(f" · {submission.kind} · ")
    text.append(f"{submission.status} · score {score_label(submission)} · ")
    text.append(f"submitted {when_iso(submission.created_at)} · ", style="dim")
    text.append_text(review_label(submission.review_state))
    review = submission.review
    if review:
        text.append(f" by {review.reviewed_by}, {when_iso(review.reviewed_at)}", style="dim")
        if review.score_override is not None:
            text.append(f"\nscore overridden: {submission.score} → {review.score_override}"
                        f" ({review.reason or 'no reason given'})", style="yellow")
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
        text.append(review.reviewed_by, style="bold").append(" ")
        text.append_text(review_label(review.verdict))
        text.append(f" it, {when_iso(review.reviewed_at)}")
        if review.score_override is not None:
            text.append(f", with the score set to {review.score_override}/{current.max_score}"
                        f" ({review.reason or 'no reason given'})")
        text.append(".\n")
    text.append("\nReplace their review with yours (")
    text.append_text(review_label(mine))
    text.append(")?")
    return text


def feedback_markdown(items: Iterable[Feedback], titles: dict[str, str]) -> str:
    """The feedback thread of a submission, oldest first, as one Markdown document."""
    parts = []
    for item in items:
        head = f"**{item.author}** · {when_iso(item.created_at)}"
        if item.check_id:
            head += f" · on *{titles.get(item.check_id, item.check_id)}*"
        lines = [head]
        if item.kind == "review":
            lines.append(f"Verdict: **{REVIEW_LABELS.get(item.verdict or '', item.verdict)}**")
            if item.score_override is not None:
                lines.append(f"Score set to **{item.score_override}**: {item.reason or ''}")
        if item.body:
            lines.append(item.body)
        parts.append("\n\n".join(lines))
    return "\n\n---\n\n".join(parts) if parts else "*No feedback yet.* Press **f** to write some."


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
    return "The hub refused", str(exc)
