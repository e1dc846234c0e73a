"""An exercise's standing: the one rule by which every screen and command reports progress.

The standing is the learner's best run, with the mentor's verdict on that very run beside it. A
verdict on another run (an older, worse attempt) is never shown as the current state: it is kept
apart as `earlier_verdict`, so "72/72, not yet reviewed" never reads "60*/72 approved" because a
mentor once approved an old attempt. Pure functions on plain records: no SQL, no terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from apilab.store.records import ExerciseProgress, RunSummary

APPROVED, CHANGES_REQUESTED = "approved", "changes_requested"


@dataclass(frozen=True)
class Review:
    """A mentor's verdict on one run (a submission), as the store keeps it."""

    run_id: str
    verdict: str  # approved or changes_requested (or a newer one this version does not know)
    score_override: int | None = None


def best_run(runs: Iterable[RunSummary]) -> RunSummary | None:
    """The best of one exercise's runs, given oldest first: the highest share of its own maximum
    (a check run and a submission, hidden checks included, count different maximums); of equal
    shares a submission before a check run, since it proved the hidden checks too and is what a
    mentor reviews; of equals still, the latest."""
    best: RunSummary | None = None
    for run in runs:
        if best is None or _rank(run) >= _rank(best):
            best = run
    return best


def standing(runs: Sequence[RunSummary], reviews: Sequence[Review],
             unsent: frozenset[str] = frozenset()) -> ExerciseProgress:
    """The standing of one exercise from its runs and the mentors' reviews, both oldest first.

    `unsent` holds the ids of submissions recorded before the learner joined a hub and never
    sent. The verdict and score override are those of the latest review of the best run; the
    latest review of any other run is `earlier_verdict`. A run that graded nothing (no server
    listening: status `error`) says nothing of the learner's work, so it is never the standing:
    an exercise with only such runs is not started, not failing."""
    best = best_run(run for run in runs if run.status != "error")
    if best is None:
        return ExerciseProgress.not_started()
    own = [review for review in reviews if review.run_id == best.id]
    earlier = [review for review in reviews if review.run_id != best.id]
    verdict = own[-1] if own else None
    return ExerciseProgress(
        status="passed" if best.status == "pass" else "failing",
        best_score=best.score, max_score=best.max_score, runs=len(runs),
        last_run_at=max(run.started_at for run in runs),
        verdict=verdict.verdict if verdict else None,
        score_override=verdict.score_override if verdict else None,
        best_run_id=best.id, best_kind=best.kind, best_sent=best.id not in unsent,
        earlier_verdict=earlier[-1].verdict if earlier and verdict is None else None,
    )


def is_done(state: ExerciseProgress | None) -> bool:
    """Whether an exercise needs nothing more: its best run passed and the mentor did not ask
    for changes to it."""
    return state is not None and state.status == "passed" and state.verdict != CHANGES_REQUESTED


def _rank(run: RunSummary) -> tuple[float, bool, datetime]:
    share = run.score / run.max_score if run.max_score else 0.0
    return share, run.kind == "submit", run.started_at
