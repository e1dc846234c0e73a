"""Every error the hub answers is an RFC 9457 problem: `application/problem+json` with `type`,
`title`, `status` (equal to the HTTP status), `detail` and `instance`, plus `errors` for invalid
input. Unknown routes, wrong methods, bad bodies and crashes all answer in this one shape, and
never with a stack trace. Each type URI, `/problems/<slug>`, answers with what the type means.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.protocol import PROBLEM_MEDIA_TYPE
from sandbox_api.methods import allowed_methods  # the practice API's Allow rule, shared

KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}

# slug -> (title, what it means and what to do)
PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "bad-request": ("Bad Request", "The request could not be understood as sent."),
    "malformed-json": ("Malformed JSON", "The body is not valid JSON."),
    "invalid-cursor": ("Invalid cursor", "The cursor was not issued by this hub. Start again "
                       "without one, then follow next_cursor or the Link header."),
    "unauthorized": ("Authentication required", "Send a valid hub token: "
                     "Authorization: Bearer apilab_... (the WWW-Authenticate header says why "
                     "this one was refused). Ask your mentor for a token."),
    "forbidden": ("Not allowed for your role", "Your token is valid but your role (learner or "
                  "mentor) may not do this."),
    "not-found": ("Not Found", "There is nothing here that you can see."),
    "method-not-allowed": ("Method Not Allowed", "The resource does not support this method; "
                           "the Allow header lists those it does (RFC 9110 section 15.5.6)."),
    "conflict": ("Conflict", "The request conflicts with what the hub already holds."),
    "precondition-failed": ("Precondition Failed", "The resource changed since you read it "
                            "(If-Match did not match its ETag). Read it again, then retry."),
    "unsupported-media-type": ("Unsupported Media Type", "The body must be JSON, sent with "
                               "Content-Type: application/json."),
    "payload-too-large": ("Content Too Large", "The request body is larger than this hub "
                          "accepts."),
    "quota-exceeded": ("Storage quota reached", "Your reports on this hub reached the storage "
                       "quota each learner has. Ask your mentor to make room."),
    "upload-rate-limited": ("Too much sent this hour", "You sent more report bytes in the last "
                            "hour than each learner may. Wait for the seconds in Retry-After; "
                            "your submissions are kept and sent then."),
    "validation-error": ("Your request is not valid", "One or more fields or query parameters "
                         "are missing or wrong; `errors` names each."),
    "rate-limited": ("Too Many Requests", "This token sent more requests than its quota allows. "
                     "Wait for the seconds in Retry-After; RateLimit-Policy states the quota."),
    "internal-error": ("Internal Server Error", "Something broke on the hub; its log has the "
                       "details."),
    "not-implemented": ("Not Implemented", "The hub does not know this HTTP method."),
}
_SLUG_BY_STATUS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
                   405: "method-not-allowed", 409: "conflict", 412: "precondition-failed",
                   413: "payload-too-large", 415: "unsupported-media-type",
                   422: "validation-error", 429: "rate-limited",
                   500: "internal-error", 501: "not-implemented"}

log = logging.getLogger("hub")


class ProblemException(Exception):
    """Raise from a route or dependency to answer with a problem of this status and slug."""

    def __init__(self, status: int, detail: str, slug: str | None = None,
                 headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or _SLUG_BY_STATUS.get(status)
        self.headers = headers
        self.extensions = extensions


def problem_response(request: Request, status: int, detail: str, slug: str | None = None,
                     headers: dict[str, str] | None = None, **extensions: Any) -> JSONResponse:
    slug = slug or _SLUG_BY_STATUS.get(status)
    if slug in PROBLEM_TYPES:
        type_uri, title = f"/problems/{slug}", PROBLEM_TYPES[slug][0]
    else:
        type_uri, title = "about:blank", HTTPStatus(status).phrase
    body = {"type": type_uri, "title": title, "status": status, "detail": detail,
            "instance": request.url.path, **extensions}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def field_errors(errors: list[dict[str, Any]], prefix: str = "") -> list[dict[str, str]]:
    """Pydantic errors as `{location, field, message, type}` items for a problem's `errors`."""
    found = []
    for error in errors:
        location, *path = error.get("loc", ("body",)) or ("body",)
        if prefix:
            location, path = "body", [prefix, location, *path]
        found.append({"location": str(location), "field": ".".join(str(p) for p in path),
                      "message": str(error.get("msg", "invalid value")),
                      "type": str(error.get("type", "value_error"))})
    return found


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemException)
    return problem_response(request, exc.status, exc.detail, exc.slug, exc.headers,
                            **exc.extensions)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        return _method_not_allowed(request)
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"no route matches {request.method} {request.url.path}; /docs lists them all"
    return problem_response(request, exc.status_code, detail, headers=exc.headers)


def _method_not_allowed(request: Request) -> Response:
    allow = ", ".join(allowed_methods(request.app, request.url.path))
    if request.method == "OPTIONS":  # OPTIONS asks exactly this question (RFC 9110 9.3.7)
        return Response(status_code=204, headers={"Allow": allow})
    if request.method not in KNOWN_METHODS:
        return problem_response(request, 501, f"{request.method} is not an HTTP method the hub "
                                "implements")
    detail = f"{request.method} is not supported on {request.url.path}; use {allow}"
    return problem_response(request, 405, detail, headers={"Allow": allow})


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    broken = next((e for e in raw if e.get("type") == "json_invalid"), None)
    if broken is not None:
        reason = (broken.get("ctx") or {}).get("error", "parse error")
        return problem_response(request, 400, f"the body is not valid JSON: {reason}",
                                "malformed-json")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_json = content_type == "application/json" or content_type.endswith("+json")
    if not is_json and any(tuple(e.get("loc", ()))[:1] == ("body",) for e in raw):
        return problem_response(request, 415, f"send the body as JSON, with Content-Type: "
                                f"application/json (not {content_type or 'nothing'})")
    errors = field_errors(raw)
    names = ", ".join(sorted({e["field"] or e["location"] for e in errors}))
    return problem_response(request, 422, f"invalid: {names}", errors=errors)


async def _on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(request, 500, "the hub hit an unexpected error; its log has the "
                            "details")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemException, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_crash)
