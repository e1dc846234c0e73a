"""Exception handlers that make every error a problem: unknown routes (404), wrong methods (405
with Allow, or 501 for a method nobody defined), OPTIONS (204 with Allow), bodies that do not
parse (400), invalid input (422 naming each field), and crashes (500, with no stack trace).
`/problems/<slug>` answers with what each type means."""

from __future__ import annotations

import logging
from html import escape
from http import HTTPStatus

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from httpkit.methods import KNOWN_METHODS, allowed_methods
from httpkit.openapi import problem_responses
from httpkit.problems import (
    STANDARD,
    ProblemException,
    ProblemTypeDoc,
    ProblemTypes,
    field_errors,
    problem_response,
    registry_of,
)

log = logging.getLogger("httpkit")


def install_problem_handlers(app: FastAPI, types: ProblemTypes | None = None,
                             server: str = "the server") -> None:
    """Answer every error of `app` with a problem of `types` (default: the standard ones).
    `server` names the app in the 500 detail ("the hub hit an unexpected error")."""
    app.state.problem_types = types or STANDARD
    app.state.server_name = server
    app.add_exception_handler(ProblemException, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_crash)


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemException)
    return problem_response(request, exc.status, exc.detail, exc.slug, exc.headers,
                            **exc.extensions)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        return method_not_allowed(request)
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"no route matches {request.method} {request.url.path}; /docs lists every one"
    return problem_response(request, exc.status_code, detail, headers=exc.headers)


def method_not_allowed(request: Request) -> Response:
    """The answer to a method the resource does not support: 204 to OPTIONS (which asks
    exactly which ones it does, RFC 9110 9.3.7), 501 to a method no one defined, else 405.
    Each carries `Allow`."""
    allow = ", ".join(allowed_methods(request.app, request.url.path))
    headers = {"Allow": allow}
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=headers)
    if request.method not in KNOWN_METHODS:
        return problem_response(request, 501, f"{request.method} is not an HTTP method this "
                                f"server knows; {request.url.path} supports {allow}",
                                headers=headers)
    detail = f"{request.method} is not supported on {request.url.path}; use {allow}"
    return problem_response(request, 405, detail, headers=headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    broken = next((e for e in raw if e.get("type") == "json_invalid"), None)
    if broken is not None:
        reason = (broken.get("ctx") or {}).get("error", "parse error")
        return problem_response(request, 400, f"the body is not valid JSON: {reason}",
                                "malformed-json")
    errors = field_errors(raw)
    names = ", ".join(sorted({e["field"] or e["location"] for e in errors}))
    return problem_response(request, 422, f"invalid: {names}", errors=errors)


async def _on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    server = getattr(request.app.state, "server_name", "the server")
    return problem_response(request, 500, f"{server} hit an unexpected error; its log has the "
                            "details")


def problem_type_router(tags: list[str] | None = None) -> APIRouter:
    """`GET /problems/{slug}`: what a problem type means, as JSON, or as a page for a browser
    (`Accept: text/html`). Reads the registry of the app it is mounted on."""
    router = APIRouter(prefix="/problems", tags=list(tags or []))

    @router.get("/{slug}", name="problem_type", response_model=ProblemTypeDoc,
                responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}},
                           **problem_responses({404: "No problem type has this name."})})
    def problem_type(slug: str, request: Request) -> Response:
        """What a problem `type` such as `/problems/not-found` means, and what to do."""
        types = registry_of(request)
        found = types.get(slug)
        if found is None:
            known = ", ".join(sorted(t.slug for t in types))
            raise ProblemException(404, f"no problem type {slug!r}; known types: {known}")
        if _prefers_html(request.headers.get("accept", "")):
            page = (f"<!doctype html><title>{escape(found.title)}</title>"
                    f"<h1>{escape(found.title)}</h1><p>{escape(found.description)}</p>"
                    f"<p>Answered with status {found.status}.</p>")
            return HTMLResponse(page)
        return JSONResponse(ProblemTypeDoc(type=found.uri, title=found.title, status=found.status,
                                           description=found.description).model_dump())

    return router


def _prefers_html(accept: str) -> bool:
    """A browser asks for text/html before JSON; API clients ask for JSON or anything."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return "text/html" in kinds and (
        "application/json" not in kinds or kinds.index("text/html") < kinds.index("application/json"))

