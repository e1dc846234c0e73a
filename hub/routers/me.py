"""GET /v1/me: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from hub.auth import CurrentUser
from hub.protocol import Me
from hub.routers import problems

router = APIRouter(tags=["me"])


@router.get("/me", response_model=Me, responses=problems())
def me(user: CurrentUser) -> Me:
    """The name and role behind your token: a cheap way to test a token."""
    return Me(name=user.name, role=user.role)
