"""Security lab captures: which challenges each learner has captured the flag of.

    PUT /v1/captures/{challenge}    learners: record a capture (201), or confirm a resend (200)
    GET /v1/captures                the caller's (learner) or everyone's (mentor)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from hub.auth import CurrentUser, LearnerUser
from hub.deps import StoreDep
from hub.protocol import CHALLENGE_ID, Capture, CaptureIn, CapturePage
from hub.routers import problems

router = APIRouter(prefix="/captures", tags=["captures"])
ChallengeId = Annotated[str, Path(pattern=CHALLENGE_ID, description="The challenge's id, such as "
                                                                    "`bola` (GET /lab/challenges "
                                                                    "of the lab lists them).")]


@router.put("/{challenge}", status_code=201, response_model=Capture,
            responses={200: {"description": "Captured before: the first capture is kept."},
                       **problems(400, 403, 415, 422)})
def put_capture(challenge: ChallengeId, body: CaptureIn, learner: LearnerUser, store: StoreDep,
                response: Response) -> Capture:
    """Record that the learner captured this challenge. Resending is harmless: the first capture
    stays, and the answer is 200 with it."""
    created, kept = store.put_capture(learner, challenge, body.category, body.captured_at)
    if not created:
        response.status_code = 200
    return Capture(**kept)


@router.get("", response_model=CapturePage, responses=problems())
def list_captures(user: CurrentUser, store: StoreDep) -> CapturePage:
    """A learner's own captures; for a mentor, every learner's."""
    learner_id = user.id if user.role == "learner" else None
    return CapturePage(items=[Capture(**row) for row in store.captures(learner_id)])
