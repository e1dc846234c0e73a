"""What the hub's API accepts and answers: `XIn` for request bodies, `X` for what comes back,
`XPage` for the list envelope `{"items": [...], "next_cursor": ...}`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grader.report import Report
from hub.records import FeedbackItem, Submission

Kind = Literal["check", "submit"]
Verdict = Literal["approved", "changes_requested"]
ReviewState = Literal["awaiting", "approved", "changes_requested"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Me(Strict):
    name: str
    role: Literal["learner", "mentor"]


class SubmissionIn(Strict):
    """A grader run sent by the learner who made it."""

    kind: Kind = Field(description="`check` for a practice run, `submit` for a graded one.")
    report: Report = Field(description="The grader's report, as `apilab check --format json` "
                                       "prints it.")


class Review(Strict):
    verdict: Verdict
    reviewed_by: str
    reviewed_at: str
    score_override: int | None
    reason: str | None


class SubmissionSummary(Strict):
    id: str
    url: str
    learner: str
    exercise: str
    exercise_id: str
    kind: Kind
    status: str = Field(description="The report's status: pass, fail or error.")
    score: int = Field(description="The grader's score.")
    max_score: int
    effective_score: int = Field(description="The mentor's override if there is one, else score.")
    created_at: str
    review_state: ReviewState
    review: Review | None

    @classmethod
    def of(cls, submission: Submission) -> SubmissionSummary:
        review = None
        if submission.verdict is not None:
            review = Review(verdict=submission.verdict, reviewed_by=submission.reviewed_by or "",
                            reviewed_at=submission.reviewed_at or "",
                            score_override=submission.score_override,
                            reason=submission.override_reason)
        return cls(
            id=submission.id, url=f"/v1/submissions/{submission.id}", learner=submission.learner,
            exercise=submission.exercise, exercise_id=submission.exercise_id,
            kind=submission.kind,  # type: ignore[arg-type]
            status=submission.status, score=submission.score, max_score=submission.max_score,
            effective_score=submission.effective_score, created_at=submission.created_at,
            review_state=submission.review_state,  # type: ignore[arg-type]
            review=review)


class SubmissionDetail(SubmissionSummary):
    report: Report


class SubmissionPage(Strict):
    items: list[SubmissionSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last one. The Link header has the same.")


class FeedbackIn(Strict):
    body: str = Field(min_length=1, max_length=20_000, description="Markdown.")
    check_id: str | None = Field(None, description="A check of the submission's report, to "
                                                   "comment on that check alone.")


class Feedback(Strict):
    id: str
    seq: int = Field(description="Increases with every item the hub writes: ask for "
                                 "`/v1/feedback?after=<the last seq you have>` to sync.")
    url: str
    submission_id: str
    exercise: str
    learner: str
    author: str
    kind: Literal["note", "review"] = Field(description="`review` items record a verdict.")
    check_id: str | None
    body: str
    verdict: Verdict | None
    score_override: int | None
    reason: str | None
    created_at: str

    @classmethod
    def of(cls, item: FeedbackItem) -> Feedback:
        fields: dict[str, Any] = {name: getattr(item, name) for name in (
            "id", "seq", "submission_id", "exercise", "learner", "author", "kind", "check_id",
            "body", "verdict", "score_override", "reason", "created_at")}
        return cls(url=f"/v1/feedback/{item.id}", **fields)


class FeedbackPage(Strict):
    items: list[Feedback]
    next_cursor: str | None = Field(description="Null when this is everything there is.")


class ReviewIn(Strict):
    verdict: Verdict
    score_override: int | None = Field(None, ge=0, description="Replaces the grader's score; "
                                       "between 0 and the report's max_score. Needs a reason.")
    reason: str | None = Field(None, max_length=2_000,
                               description="Why the score was overridden.")
    body: str = Field("", max_length=20_000, description="An optional Markdown comment.")


class ReviewStatus(Strict):
    submission_id: str
    review_state: ReviewState
    review: Review | None


class CheckStats(Strict):
    id: str
    title: str
    attempts: int = Field(description="Learners whose latest submission ran this check.")
    passed: int
    pass_rate: float = Field(description="passed / attempts, from 0 to 1.")


class FailingCheck(Strict):
    id: str
    title: str
    failures: int
    fail_rate: float


class CohortStats(Strict):
    exercise: str
    kind: Kind | None
    learners: int = Field(description="Learners with at least one submission counted.")
    checks: list[CheckStats] = Field(description="In the exercise's order.")
    most_failing: list[FailingCheck] = Field(description="Up to five, most failures first.")

