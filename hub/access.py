"""Who may see what: the object-level rules (OWASP API1, BOLA), in one place.

A mentor sees every submission and all feedback. A learner sees only their own submissions and
the feedback on them; anything else answers 404 exactly as if it did not exist, so that ids
of other learners' submissions cannot be probed.
"""

from __future__ import annotations

from httpkit.problems import ProblemException
from hub.records import FeedbackItem, Submission, User
from hub.store import HubStore


def can_see(user: User, learner_id: int) -> bool:
    return user.role == "mentor" or user.id == learner_id


def visible_submission(store: HubStore, user: User, submission_id: str,
                       with_report: bool = False) -> Submission:
    submission = store.submission(submission_id, with_report)
    if submission is None or not can_see(user, submission.learner_id):
        raise ProblemException(404, f"there is no submission {submission_id} that you can see")
    return submission


def visible_feedback(store: HubStore, user: User, feedback_id: str) -> FeedbackItem:
    item = store.feedback_item(feedback_id)
    if item is None or not can_see(user, item.learner_id):
        raise ProblemException(404, f"there is no feedback {feedback_id} that you can see")
    return item
