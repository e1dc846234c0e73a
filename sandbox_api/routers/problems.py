"""/problems/{slug}: each problem `type` URI documents itself, as RFC 9457 3.1.1 suggests."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from sandbox_api.docs import problem_docs
from sandbox_api.problems import PROBLEM_TYPES, ProblemException

router = APIRouter(prefix="/problems", tags=["service"])


@router.get(
    "/{slug}",
    name="problem_type",
    response_class=HTMLResponse,
    responses=problem_docs(e404="No problem type has this name.", e422="The request is invalid."),
)
def problem_type(slug: str) -> HTMLResponse:
    """What a problem `type` such as `/problems/not-found` means, for people."""
    if slug not in PROBLEM_TYPES:
        known = ", ".join(sorted(PROBLEM_TYPES))
        raise ProblemException(404, f"no problem type {slug!r}; known types: {known}")
    title, meaning = PROBLEM_TYPES[slug]
    page = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>"
    return HTMLResponse(page + f"<p>{escape(meaning)}</p>")
