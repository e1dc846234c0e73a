"""The cohort at a glance, as the mentor's app shows it: one row per exercise (started, passed,
approved, stuck, the check that stops most) and one per stuck learner. Every name and title
came from the hub: each is cleaned and made Text, never markup."""

from __future__ import annotations

from rich.text import Text

from apilab.untrusted import clean, safe_text
from apilab.views.mentor import unreadable, when_iso
from hub.protocol import CohortExercise, CohortProgress, StuckLearner, Unreadable

EXERCISE_COLUMNS = ("lesson", "exercise", "started", "passed", "approved", "stuck",
                    "stops most")
STUCK_COLUMNS = ("learner", "exercise", "why", "runs", "last run", "failing check")


def exercise_row(item: CohortExercise | Unreadable) -> tuple[Text, ...]:
    if isinstance(item, Unreadable):
        return (unreadable(), *(unreadable("") for _ in EXERCISE_COLUMNS[1:]))
    check = item.stopping_check
    stops = (f"{check.title} ({check.failures} of {item.stuck})" if check else "")
    return (safe_text(item.lesson), safe_text(item.title), safe_text(str(item.started)),
            safe_text(str(item.passed), style="green" if item.passed else ""),
            safe_text(str(item.approved), style="green" if item.approved else ""),
            safe_text(str(item.stuck), style="red" if item.stuck else "dim"),
            safe_text(stops, style="red"))


def stuck_row(item: StuckLearner | Unreadable, idle_days: int, repeat_runs: int,
              ) -> tuple[Text, ...]:
    if isinstance(item, Unreadable):
        return (unreadable(), *(unreadable("") for _ in STUCK_COLUMNS[1:]))
    why = (f"same check failing {repeat_runs} runs running" if item.why == "repeating"
           else f"nothing sent for {idle_days}+ days")
    return (safe_text(item.learner), safe_text(item.exercise), safe_text(why),
            safe_text(str(item.runs)), safe_text(when_iso(item.last_run_at)),
            safe_text(item.check_title or item.check_id or ""))


def glance_summary(glance: CohortProgress, shown: int, more: bool) -> str:
    """What the stuck list means, and how much of it is shown (`shown` rows; `more` when the
    hub has further pages)."""
    stuck = glance.stuck_count
    if not stuck:
        return "Nobody is stuck."
    paged = f" Showing {shown}: m (or the end of the list) shows more." if more else ""
    return clean(f"{stuck} stuck: nothing sent for {glance.idle_days} days, or the same check "
                 f"failing in each of their last {glance.repeat_runs} runs.{paged}")
