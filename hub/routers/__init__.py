"""One router per resource: me, submissions, feedback, reviews, cohort (and the service routes
outside /v1: health, problem types). `problems(...)` documents a route's error answers."""

from __future__ import annotations

from typing import Any

from httpkit.problems import Problem

_MEANING = {
    400: "Malformed JSON or an invalid cursor.",
    401: "No token, or a malformed, unknown or revoked one (see WWW-Authenticate).",
    403: "Your role may not do this.",
    404: "Not found, or not yours to see.",
    409: "The submission id already holds a different report.",
    412: "If-Match did not match the current ETag.",
    413: "The body is too large, or the learner's storage quota is full.",
    415: "The body is not JSON, or is compressed other than with gzip.",
    422: "The body or a parameter is invalid; `errors` says which.",
    429: "Rate limited (requests, or report bytes per hour): wait for Retry-After seconds.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses (401 and 429 always apply)."""
    return {status: {"model": Problem, "description": _MEANING[status]}
            for status in sorted({401, 429, *statuses})}
