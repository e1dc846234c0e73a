"""What the mentor's screens say, as plain text and Rich text: no Textual here, so it is easy to
test. Hub data arrives as the JSON dictionaries of hub.models (SubmissionSummary,
Feedback, CohortStats).

Every string in them was written by a learner, a mentor or the hub: each goes through
`apilab.untrusted.clean`, into `Text` (never markup) or, escaped, into Markdown. A row or an
item that cannot be read (a field missing or of the wrong type) is shown as unreadable rather
than taking its screen down."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rich.text import Text

from apilab.hubclient import HubAuthError, HubError, HubNotFound, HubRateLimited, HubUnavailable
from apilab.untrusted import clean, safe_text
from apilab.views.markdown import escape
from apilab.views.times import when

REVIEW_LABELS = {"awaiting": "awaiting", "approved": "approved",
                 "changes_requested": "changes requested"}
REVIEW_STYLES = {"awaiting": "yellow", "approved": "green", "changes_requested": "red"}
LOGIN_AGAIN = "log in with a mentor token: apilab login HUB_URL --token TOKEN"
QUEUE_COLUMNS = ("learner", "exercise", "score", "status", "submitted", "review")
# What reading a malformed item of hub data raises: a field missing, or of another type.
UNREADABLE_DATA = (KeyError, TypeError, ValueError, AttributeError)
UNREADABLE_WHY = "the hub sent something this version of apilab does not understand"


def unreadable(what: str = "unreadable") -> Text:
    """What stands in for an item of hub data that could not be read."""
    return Text(what, style="dim italic")


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


def score_label(submission: dict[str, Any]) -> str:
    """`effective/max`, marked with `*` when a mentor's override replaced the grader's score."""
    review = submission.get("review") or {}
    mark = "*" if review.get("score_override") is not None else ""
    return clean(f"{submission['effective_score']}/{submission['max_score']}{mark}")


def queue_row(submission: dict[str, Any]) -> tuple[Text, ...]:
    """The cells of a submission's row in the queue, one per QUEUE_COLUMNS; raises one of
    UNREADABLE_DATA when the hub's item lacks what the row needs."""
    status = submission["status"]
    return (safe_text(submission["learner"]), safe_text(submission["exercise"]),
            safe_text(score_label(submission)),
            safe_text(status, style="green" if status == "pass" else "red"),
            safe_text(when_iso(submission["created_at"])), review_label(submission["review_state"]))


def submission_heading(submission: dict[str, Any]) -> Text:
    """Who, what, when, and where the review stands: the line above a submission's report."""
    try:
        return _heading(submission)
    except UNREADABLE_DATA:
        return unreadable(f"This submission's details are unreadable: {UNREADABLE_WHY}.")


def _heading(submission: dict[str, Any]) -> Text:
    text = Text()
    text.append(clean(submission["learner"]), style="bold").append(" · ")
    text.append(clean(submission["exercise"]), style="bold")
    text.append(clean(f" · {submission['kind']} · {submission['status']} · score "
                      f"{score_label(submission)} · "))
    text.append(f"submitted {when_iso(submission['created_at'])} · ", style="dim")
    text.append_text(review_label(submission["review_state"]))
    review = submission.get("review")
    if review:
        text.append(clean(f" by {review['reviewed_by']}, {when_iso(review['reviewed_at'])}"),
                    style="dim")
        if review.get("score_override") is not None:
            text.append(clean(f"\nscore overridden: {submission['score']} → "
                              f"{review['score_override']} "
                              f"({review.get('reason') or 'no reason given'})"), style="yellow")
    return text


def feedback_markdown(items: Iterable[dict[str, Any]], titles: dict[str, str]) -> str:
    """The feedback thread of a submission, oldest first, as one Markdown document. Names,
    titles and reasons are escaped, so only a note's body is Markdown; an item that cannot be
    read says so in its place."""
    parts = []
    for item in items:
        try:
            parts.append(_feedback_item(item, titles))
        except UNREADABLE_DATA:
            parts.append(f"*An unreadable feedback item: {UNREADABLE_WHY}.*")
    return "\n\n---\n\n".join(parts) if parts else "*No feedback yet.* Press **f** to write some."


def _feedback_item(item: dict[str, Any], titles: dict[str, str]) -> str:
    def literal(value: object) -> str:
        return escape(clean(str(value)))

    head = f"**{literal(item['author'])}** · {literal(when_iso(item['created_at']))}"
    if item.get("check_id"):
        head += f" · on *{literal(titles.get(item['check_id'], item['check_id']))}*"
    lines = [head]
    if item.get("kind") == "review":
        verdict = item.get("verdict") or ""
        lines.append(f"Verdict: **{literal(REVIEW_LABELS.get(verdict, verdict))}**")
        if item.get("score_override") is not None:
            lines.append(f"Score set to **{literal(item['score_override'])}**: "
                         f"{literal(item.get('reason') or '')}")
    if item.get("body"):
        lines.append(clean(str(item["body"])))  # Markdown, as its author wrote it
    return "\n\n".join(lines)


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
