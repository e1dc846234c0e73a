"""What the progress store hands out: plain records, no SQL and no behaviour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

RunKind = Literal["check", "submit"]
ProgressStatus = Literal["not_started", "failing", "passed"]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RunSummary:
    id: str
    exercise: str
    kind: RunKind
    status: str  # the report's status: pass, fail or error
    score: int
    max_score: int
    seed: int
    started_at: datetime
    duration_ms: float
    url: str = ""  # the address graded
    server: str | None = None  # the command that served it, when apilab started it


@dataclass(frozen=True)
class ExerciseProgress:
    status: ProgressStatus
    best_score: int = 0
    max_score: int = 0  # of the run that scored best_score
    runs: int = 0
    last_run_at: datetime | None = None
    # The rule that fills these is apilab.store.standing: the best run, with its own review.
    verdict: str | None = None  # the latest review of the best run: approved or changes_requested
    score_override: int | None = None  # the mentor's score in that review, if they gave one
    best_run_id: str | None = None
    best_kind: RunKind | None = None  # a check run, or a submission mentors can review
    best_sent: bool = True  # False for a submission made before joining a hub, never sent
    earlier_verdict: str | None = None  # the latest review of another run, when the best has none

    @classmethod
    def not_started(cls, max_score: int = 0) -> ExerciseProgress:
        return cls(status="not_started", max_score=max_score)


@dataclass(frozen=True)
class Feedback:
    id: str
    run_id: str
    exercise: str
    check_id: str | None
    author: str
    body: str  # Markdown
    verdict: str | None
    created_at: datetime
    read: bool
    kind: str = "note"  # or "review", which carries a verdict
    score_override: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    """A run waiting to reach the hub. Its id is the run's id, so resending never duplicates."""

    run_id: str
    kind: RunKind
    report_json: str
    attempts: int
    last_error: str | None
