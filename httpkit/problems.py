"""RFC 9457 problem details: the one shape of every error, and the registry of problem types.

A problem is `application/problem+json` with `type`, `title`, `status` (equal to the HTTP
status), `detail` and `instance`, plus extension members such as `errors` for invalid input.
Each `type` is a URI, `/problems/<slug>`, that answers with what the type means (RFC 9457
section 3.1.1 suggests it); a `ProblemTypes` registry holds the types one server uses.

Raise `ProblemException` anywhere in a request to answer with a problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from httpkit.status import reason_phrase

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    """One kind of problem: its slug (the type URI is `/problems/<slug>`), a title that is the
    same every time, the status it answers with, and what it means and what to do."""

    slug: str
    title: str
    status: int
    description: str

    @property
    def uri(self) -> str:
        return f"/problems/{self.slug}"


class ProblemTypes:
    """The problem types one server answers with, by slug.

    The first type registered for a status is that status's default: a `ProblemException`
    without a slug gets it.
    """

    def __init__(self, types: Iterable[ProblemType] = ()) -> None:
        self._types: dict[str, ProblemType] = {}
        self._defaults: dict[int, ProblemType] = {}
        self.register(*types)

    def register(self, *types: ProblemType, replace: bool = False) -> None:
        """Add types; a slug already taken by another type is an error unless `replace`."""
        for problem_type in types:
            taken = self._types.get(problem_type.slug)
            if taken is not None and taken != problem_type and not replace:
                raise ValueError(f"problem type {problem_type.slug!r} is already registered as "
                                 f"{taken}; pick another slug or pass replace=True")
            self._types[problem_type.slug] = problem_type
            default = self._defaults.get(problem_type.status)
            if default is None or default.slug == problem_type.slug:
                self._defaults[problem_type.status] = problem_type

    def copy(self) -> ProblemTypes:
        copied = ProblemTypes()
        copied.register(*self)
        return copied

    def for_status(self, status: int) -> ProblemType | None:
        return self._defaults.get(status)

    def get(self, slug: str) -> ProblemType | None:
        return self._types.get(slug)

    def __contains__(self, slug: object) -> bool:
        return slug in self._types

    def __iter__(self) -> Iterator[ProblemType]:
        return iter(self._types.values())


# The statuses' defaults carry RFC 9110's reason phrase as their title; the more specific types
# of a status (malformed-json, invalid-cursor) follow their default.
STANDARD = ProblemTypes([
    ProblemType("bad-request", "Bad Request", 400, "The request could not be understood as sent."),
    ProblemType("malformed-json", "Malformed JSON", 400, "The body claims to be JSON but does "
                "not parse. Check its quotes, commas and brackets."),
    ProblemType("invalid-cursor", "Invalid cursor", 400, "The cursor was not issued by this API "
                "for this list and sort order. Start again without one, then follow "
                "next_cursor or the Link header."),
    ProblemType("not-found", "Not Found", 404, "There is no resource at this URI, or no "
                "longer."),
    ProblemType("method-not-allowed", "Method Not Allowed", 405, "The resource exists but does "
                "not support this method; the Allow header lists those that it does (RFC 9110 "
                "section 15.5.6)."),
    ProblemType("conflict", "Conflict", 409, "The request conflicts with the current state of "
                "the resource."),
    ProblemType("precondition-failed", "Precondition Failed", 412, "The resource changed since "
                "you read it: If-Match or If-Unmodified-Since did not hold. Read it again, then "
                "retry."),
    ProblemType("payload-too-large", "Content Too Large", 413, "The request body is larger than "
                "this server accepts."),
    ProblemType("unsupported-media-type", "Unsupported Media Type", 415, "The body must be sent "
                "as JSON, with Content-Type: application/json."),
    ProblemType("validation-error", "Unprocessable Content", 422, "The body is well-formed, but "
                "one or more fields or query parameters are missing or wrong; `errors` names "
                "each one."),
    ProblemType("precondition-required", "Precondition Required", 428, "This resource only "
                "accepts conditional changes: GET it, then send its ETag in If-Match (RFC 6585 "
                "section 3)."),
    ProblemType("rate-limited", "Too Many Requests", 429, "More requests than the quota allows. "
                "Wait for the seconds in Retry-After; RateLimit-Policy states the quota."),
    ProblemType("internal-error", "Internal Server Error", 500, "Something broke on the server "
                "side; its log has the details."),
    ProblemType("not-implemented", "Not Implemented", 501, "The server does not know this HTTP "
                "method at all (RFC 9110 section 15.6.2)."),
])


class ProblemException(Exception):
    """Raise from a route, a dependency or a middleware to answer with a problem of `status`,
    of type `slug` (default: the status's default type), with extra headers and members."""

    def __init__(self, status: int, detail: str, slug: str | None = None,
                 headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.headers = headers
        self.extensions = extensions


def registry_of(request: Request) -> ProblemTypes:
    """The problem types of the app serving `request` (`app.state.problem_types`)."""
    app = request.scope.get("app")
    found = getattr(getattr(app, "state", None), "problem_types", None)
    return found if isinstance(found, ProblemTypes) else STANDARD


def problem_response(request: Request, status: int, detail: str, slug: str | None = None,
                     headers: dict[str, str] | None = None, **extensions: Any) -> JSONResponse:
    """The problem+json answer: the type comes from `slug`, or else from `status`; a status
    with no registered type answers `about:blank` titled with its reason phrase."""
    types = registry_of(request)
    problem_type = types.get(slug) if slug else types.for_status(status)
    if problem_type is None:
        type_uri, title = "about:blank", reason_phrase(status)
    else:
        type_uri, title = problem_type.uri, problem_type.title
    query = request.url.query
    body = {"type": type_uri, "title": title, "status": status, "detail": detail,
            "instance": request.url.path + (f"?{query}" if query else ""), **extensions}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def field_errors(errors: Iterable[dict[str, Any]], prefix: str = "") -> list[dict[str, str]]:
    """Pydantic errors as `{location, field, message, type}` members of a problem's `errors`.
    With `prefix`, the errors belong to the body field of that name."""
    found = []
    for error in errors:
        location, *path = error.get("loc") or ("body",)
        if prefix:
            location, path = "body", [prefix, location, *path]
        found.append({"location": str(location), "field": ".".join(str(p) for p in path),
                      "message": str(error.get("msg", "invalid value")),
                      "type": str(error.get("type", "value_error"))})
    return found


class FieldError(BaseModel):
    location: str = Field(description="body, query, path or header")
    field: str = Field(description="Dotted path to the field, e.g. `tags.0`.")
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem detail, sent as application/problem+json."""

    model_config = ConfigDict(extra="allow")  # RFC 9457 3.2: problems may carry extensions

    type: str = Field(description="A URI; GET it for what the type means.",
                      examples=["/problems/not-found"])
    title: str = Field(description="The same for every problem of this type.",
                       examples=["Not Found"])
    status: int = Field(description="Equal to the HTTP status.", examples=[404])
    detail: str = Field(description="What happened this time, and what to do.",
                        examples=["no book with id 999"])
    instance: str = Field(description="The path (and query) of the request.",
                          examples=["/books/999"])
    errors: list[FieldError] | None = Field(default=None, description="For invalid input "
                                            "(422): each field and what is wrong with it.")


class ProblemTypeDoc(BaseModel):
    """What `/problems/<slug>` answers: a problem type, for people and programs."""

    type: str = Field(examples=["/problems/not-found"])
    title: str
    status: int = Field(description="The HTTP status problems of this type answer with.")
    description: str = Field(description="What it means, and what to do about it.")
