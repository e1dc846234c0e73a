"""Routes outside the versioned API: where to start and liveness (the problem types are the
kit's `/problems/{slug}`). None of them needs a token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

router = APIRouter(tags=["service"])


@router.get("/")
def index() -> dict[str, Any]:
    """Where to start: the API's version prefix and its documentation."""
    return {"name": "apilab hub", "api": "/v1", "docs": "/docs", "openapi": "/openapi.json"}


@router.get("/health")
def health() -> dict[str, str]:
    """200 while the hub is up; no token needed, so clients can tell "down" from "refused"."""
    return {"status": "ok"}

