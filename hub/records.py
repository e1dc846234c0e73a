"""What the hub holds, as plain records: users, submissions, feedback, and the outcomes of
writes. `HubStore` returns these; `summary()` and `public()` turn them into the API's models
(hub.protocol)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from hub.protocol import Feedback, Review, Role, SubmissionSummary, Verdict


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: Role


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: Role
    created_at: str
    active_tokens: int
    revoked_tokens: int


@dataclass(frozen=True)
class Submission:
    id: str
    seq: int
    learner_id: int
    learner: str
    exercise: str
    exercise_id: str
    kind: str
    status: str
    score: int
    max_score: int
    content_hash: str
    revision: int  # goes up with every change of review, so the ETag changes with it
    created_at: str
    verdict: Verdict | None
    score_override: int | None
    override_reason: str | None
    reviewed_by: str | None
    reviewed_at: str | None
    report_json: str | None = None  # only when asked for: reports are the bulk of the data

    @property
    def etag(self) -> str:
        return f'"{self.content_hash[:24]}.{self.revision}"'

    @property
    def review_state(self) -> str:
        return self.verdict or "awaiting"

    @property
    def effective_score(self) -> int:
        return self.score if self.score_override is None else self.score_override

    def summary(self) -> SubmissionSummary:
        """What the API says about this submission (everything but the report)."""
        review = None
        if self.verdict is not None:
            review = Review(verdict=self.verdict, reviewed_by=self.reviewed_by or "",
                            reviewed_at=self.reviewed_at or "", score_override=self.score_override,
                            reason=self.override_reason)
        return SubmissionSummary(
            id=self.id, url=f"/v1/submissions/{self.id}", learner=self.learner,
            exercise=self.exercise, exercise_id=self.exercise_id,
            kind=self.kind,  # type: ignore[arg-type]
            status=self.status, score=self.score, max_score=self.max_score,
            effective_score=self.effective_score, created_at=self.created_at,
            review_state=self.review_state,  # type: ignore[arg-type]
            review=review)


@dataclass(frozen=True)
class FeedbackItem:
    id: str
    seq: int  # increases with every item ever written: "everything after N" is a sync
    submission_id: str
    learner_id: int
    learner: str
    exercise: str
    author: str
    check_id: str | None
    body: str  # Markdown
    verdict: Verdict | None  # set when the item records a review
    score_override: int | None
    reason: str | None
    created_at: str

    @property
    def kind(self) -> str:
        return "review" if self.verdict else "note"

    def public(self) -> Feedback:
        fields: dict[str, Any] = {name: getattr(self, name) for name in (
            "id", "seq", "submission_id", "exercise", "learner", "author", "kind", "check_id",
            "body", "verdict", "score_override", "reason", "created_at")}
        return Feedback(url=f"/v1/feedback/{self.id}", **fields)


class PutOutcome(Enum):
    CREATED = "created"
    UNCHANGED = "unchanged"  # the same id with the same content: a resend
    CONFLICT = "conflict"  # the same id with different content
    NOT_YOURS = "not_yours"  # the id belongs to another learner
    OVER_QUOTA = "over_quota"  # the learner's reports would weigh more than their quota
    OVER_RATE = "over_rate"  # the learner sent more report bytes this hour than allowed


@dataclass(frozen=True)
class Quota:
    """How many report bytes one learner may store in all, and send in any hour."""

    total_bytes: int
    hour_bytes: int


class ReviewOutcome(Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"
    PRECONDITION_FAILED = "precondition_failed"


@dataclass(frozen=True)
class SubmissionFilter:
    exercise: str | None = None
    learner: str | None = None
    status: str | None = None  # the report's: pass, fail, error
    review: str | None = None  # awaiting, approved, changes_requested
    kind: str | None = None  # check, submit
    latest: bool = False  # only each learner's latest submission of each exercise
