"""Every error the sandbox returns is an RFC 9457 problem: application/problem+json with
`type`, `title`, `status`, `detail` and `instance`, plus `errors` for invalid input.

Handlers here turn FastAPI's and Starlette's exceptions into problems, so an unknown route,
a wrong method or a crash all answer in the same shape, and never with a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox_api.methods import allowed_methods

PROBLEM_MEDIA_TYPE = "application/problem+json"
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}

# slug -> (title, what it means); each type URI is /problems/<slug> and documents itself there
PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "bad-request": ("Bad Request", "The request could not be understood as sent."),
    "malformed-json": (
        "Malformed JSON",
        "The body claims to be JSON but does not parse. Check quotes, commas and brackets.",
    ),
    "invalid-cursor": (
        "Invalid cursor",
        "The cursor was not issued by this API for this sort order. Start again without one.",
    ),
    "not-found": ("Not Found", "There is no resource at this URI, or no longer."),
    "method-not-allowed": (
        "Method Not Allowed",
        "The resource exists but does not support this method; the Allow header lists those"
        " that it does (RFC 9110 section 15.5.6).",
    ),
    "conflict": ("Conflict", "The request conflicts with the current state of the resource."),
    "unsupported-media-type": (
        "Unsupported Media Type",
        "The body must be sent as JSON, with Content-Type: application/json.",
    ),
    "validation-error": (
        "Your request is not valid",
        "One or more fields or query parameters are missing or wrong; `errors` names each.",
    ),
    "internal-error": ("Internal Server Error", "Something broke on the server side."),
    "not-implemented": ("Not Implemented", "The server does not know this HTTP method."),
}
_SLUG_BY_STATUS = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    415: "unsupported-media-type",
    422: "validation-error",
    500: "internal-error",
    501: "not-implemented",
}

log = logging.getLogger("sandbox_api")


class ProblemException(Exception):
    """Raise from a route to answer with a problem of the given status and slug."""

    def __init__(
        self,
        status: int,
        detail: str,
        slug: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or _SLUG_BY_STATUS.get(status)
        self.headers = headers
        self.extensions = extensions


def problem_response(
    request: Request,
    status: int,
    detail: str,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    slug = slug or _SLUG_BY_STATUS.get(status)
    if slug in PROBLEM_TYPES:
        type_uri, title = f"/problems/{slug}", PROBLEM_TYPES[slug][0]
    else:
        type_uri, title = "about:blank", HTTPStatus(status).phrase
    instance = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    body = {
        "type": type_uri,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extensions,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemException)
    return problem_response(
        request, exc.status, exc.detail, exc.slug, exc.headers, **exc.extensions
    )


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status, method = exc.status_code, request.method
    if status == 405:
        return _method_not_allowed(request, (exc.headers or {}).get("Allow", ""))
    detail = exc.detail
    if status == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"no route matches {method} {request.url.path}; /docs lists every endpoint"
    return problem_response(request, status, str(detail), headers=exc.headers)


def _method_not_allowed(request: Request, framework_allow: str) -> Response:
    # routes left out of the OpenAPI document (/docs itself) keep the framework's answer
    allow = ", ".join(allowed_methods(request.app, request.url.path)) or framework_allow
    headers = {"Allow": allow}
    if request.method == "OPTIONS":  # OPTIONS asks exactly this question (RFC 9110 9.3.7)
        return Response(status_code=204, headers=headers)
    if request.method not in KNOWN_METHODS:
        detail = f"{request.method} is not an HTTP method this server implements"
        return problem_response(request, 501, detail)
    detail = f"{request.method} is not supported on {request.url.path}; use {headers['Allow']}"
    return problem_response(request, 405, detail, headers=headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        reason = next(e for e in raw if e.get("type") == "json_invalid").get("ctx", {})
        detail = f"the body is not valid JSON: {reason.get('error', 'parse error')}"
        return problem_response(request, 400, detail, "malformed-json")
    errors = [_field_error(e) for e in raw]
    names = ", ".join(sorted({e["field"] or e["location"] for e in errors}))
    return problem_response(request, 422, f"invalid: {names}", errors=errors)


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    location, *path = error.get("loc", ("body",))
    return {
        "location": str(location),
        "field": ".".join(str(p) for p in path),
        "message": str(error.get("msg", "invalid value")),
        "type": str(error.get("type", "value_error")),
    }


async def _on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    detail = "the sandbox hit an unexpected error; its log has the details"
    return problem_response(request, 500, detail)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemException, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_crash)
