"""Routes outside the versioned API: where to start, liveness, and what each problem type means.
None of them needs a token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hub.problems import PROBLEM_TYPES, ProblemException

router = APIRouter(tags=["service"])


@router.get("/")
def index() -> dict[str, Any]:
    """Where to start: the API's version prefix and its documentation."""
    return {"name": "apilab hub", "api": "/v1", "docs": "/docs", "openapi": "/openapi.json"}


@router.get("/health")
def health() -> dict[str, str]:
    """200 while the hub is up; no token needed, so clients can tell "down" from "refused"."""
    return {"status": "ok"}


@router.get("/problems/{slug}")
def problem_type(slug: str) -> dict[str, str]:
    """What a problem `type` means, and what to do about it."""
    if slug not in PROBLEM_TYPES:
        raise ProblemException(404, f"there is no problem type {slug!r}")
    title, description = PROBLEM_TYPES[slug]
    return {"type": f"/problems/{slug}", "title": title, "description": description}
