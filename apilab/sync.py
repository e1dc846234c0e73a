"""Keep the learner's machine and the hub in step: submissions and lab captures up, mentor
feedback down.

Submissions wait in the store's outbox until the hub has them; each goes under its run id, so a
resend after a crash or a timeout never makes a duplicate. Feedback comes down by sequence number,
so each sync asks only for what is new. A hub that is down costs nothing but a message: the outbox
is sent with the next `apilab check`, `lessons`, `start`, `submit` or `sync`, or at app start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apilab.hubclient import HubAuthError, HubClient, HubError, HubRateLimited, HubUnavailable
from apilab.settings import HubLogin, current_token
from apilab.store import Store
from grader.report import ReportUnreadable
from hub.protocol import Unreadable

if TYPE_CHECKING:
    from apilab.store.records import RunSummary

FEEDBACK_CURSOR = "feedback_cursor"
QUICK_TIMEOUT = 3.0  # seconds: a sync at start-up must not hold the learner up for long


@dataclass
class SyncResult:
    sent: int = 0
    captures_sent: int = 0  # security lab captures
    waiting: int = 0  # still in the outbox
    new_feedback: int = 0
    problem: str | None = None  # why the sync stopped short, and what to do

    def summary(self) -> str:
        parts = []
        if self.sent:
            parts.append(f"sent {self.sent} submission{'s' * (self.sent != 1)} to the hub")
        if self.captures_sent:
            parts.append(f"sent {self.captures_sent} lab capture{'s' * (self.captures_sent != 1)} "
                         "to the hub")
        if self.new_feedback:
            parts.append(f"{self.new_feedback} new mentor feedback")
        if self.waiting:
            parts.append(f"{self.waiting} waiting to be sent")
        text = "; ".join(parts).capitalize()
        if self.problem:  # what went wrong, and what to do, comes first; never "up to date"
            return f"{self.problem} {text}." if text else self.problem
        return f"{text}." if text else "Up to date with the hub."


def unsent_text(unsent: Sequence[RunSummary]) -> str:
    """What to say of the submissions made before the learner joined a hub and never sent."""
    names = ", ".join(sorted({run.exercise for run in unsent}))
    plural = "s" * (len(unsent) != 1)
    return (f"{len(unsent)} submission{plural} made before you logged in ({names}) "
            f"{'were' if plural else 'was'} never sent.")


def sync(store: Store, hub: HubLogin, *, pull: bool = True, timeout: float = QUICK_TIMEOUT,
         client: HubClient | None = None) -> SyncResult:
    """Send the outbox, then (with `pull`) fetch new feedback. Never raises for the hub's sake."""
    own_client = client is None
    client = client or HubClient(hub.url, hub.token, timeout=timeout,
                                 relogin=lambda: current_token(hub.url))
    result = SyncResult()
    try:
        push(store, client, result)
        if result.problem is None:
            push_captures(store, client, result)
        if pull and result.problem is None:
            fetch_feedback(store, client, result)
    finally:
        if own_client:
            client.close()
    result.waiting = store.outbox_count()
    return result


def token_refused(exc: HubAuthError) -> str:
    return (f"The hub refused your token ({exc}): nothing was sent or fetched. Your "
            "submissions are kept; ask your mentor for a new token and run apilab login HUB_URL "
            "--token TOKEN again.")


def push(store: Store, client: HubClient, result: SyncResult) -> None:
    """Send every queued run, oldest first; stop at the first sign the hub is unavailable."""
    for item in store.outbox():
        try:
            client.put_submission(item.run_id, item.report_json, item.kind)
        except HubRateLimited as exc:
            store.mark_attempt(item.run_id, str(exc))
            result.problem = (f"The hub asks you to wait {exc.retry_after:g} s ({exc}). Your "
                              "submissions are saved and will be sent with your next apilab "
                              "check, lessons, start, submit or sync after that.")
            return
        except HubUnavailable as exc:
            store.mark_attempt(item.run_id, str(exc))
            result.problem = (f"The hub is unreachable ({exc}). Your submissions are saved and "
                              "will be sent with your next apilab check, lessons, start, submit or "
                              "sync, or when the app starts.")
            return
        except HubAuthError as exc:
            store.mark_attempt(item.run_id, str(exc))
            result.problem = token_refused(exc)
            return
        except HubError as exc:
            # The hub will never take this one as it is (e.g. a conflicting resend); keep it,
            # say so, and let the others through.
            store.mark_attempt(item.run_id, str(exc))
            result.problem = f"The hub refused submission {item.run_id}: {exc}. It is kept locally."
            continue
        store.mark_sent(item.run_id)
        result.sent += 1


def push_captures(store: Store, client: HubClient, result: SyncResult) -> None:
    """Send the security lab captures the hub has not acknowledged, oldest first; they wait in
    the store (sent_at null) until it has."""
    for capture in store.unsent_flags():
        try:
            client.put_capture(capture["challenge"], capture["category"], capture["captured_at"])
        except HubAuthError as exc:
            result.problem = token_refused(exc)
            return
        except HubUnavailable as exc:
            result.problem = (f"The hub is unreachable ({exc}). Your lab captures are saved and "
                              "will be sent with your next apilab check, lessons, start, submit or "
                              "sync.")
            return
        except HubError as exc:
            result.problem = (f"The hub refused your lab capture of {capture['challenge']} ({exc}); "
                              "it is kept locally.")
            return
        store.mark_flag_sent(capture["challenge"])
        result.captures_sent += 1


def fetch_feedback(store: Store, client: HubClient, result: SyncResult) -> None:
    """Copy new feedback into the store, fetching any submission this machine has not seen."""
    cursor = int(store.state(FEEDBACK_CURSOR, "0") or 0)
    try:
        for item in client.feedback_since(cursor):
            if isinstance(item, Unreadable):  # it stays on the hub: the cursor stops before it
                result.problem = (f"The hub sent feedback this version of apilab cannot read "
                                  f"({item.why}); update apilab, then run apilab sync.")
                return
            if not store.has_run(item.submission_id):  # submitted from another machine
                detail = client.submission(item.submission_id)
                store.record_run(detail.report(), detail.kind, run_id=detail.id,
                                 report_json=detail.report_json)
            store.add_feedback(
                item.submission_id, item.author, item.body, check_id=item.check_id,
                verdict=item.verdict, feedback_id=item.id, score_override=item.score_override,
                reason=item.reason)
            store.set_state(FEEDBACK_CURSOR, str(item.seq))
            result.new_feedback += 1
    except HubAuthError as exc:
        result.problem = token_refused(exc)
    except HubError as exc:
        result.problem = f"Could not fetch mentor feedback: {exc}"
    except ReportUnreadable as exc:
        # Feedback this version cannot file stays on the hub: the cursor stopped before it.
        result.problem = (f"The hub sent a report this version of apilab cannot read "
                          f"({str(exc).splitlines()[0]}); update apilab, then run apilab sync.")
