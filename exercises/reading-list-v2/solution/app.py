"""Reading list, version 2: the reference solution of lesson 3's exercise (versioning).

Run it from this folder with `uvicorn app:app --port 8001`, then `apilab check reading-list-v2`.

Lesson 1's reading list, evolved: v1 (lesson 1's contract, now under /v1, deprecated) and v2 (a
list of authors, `page_count`, `added_at`) serve one set of books. The file reads top to bottom:
the stored book and the two shapes it is shown in, the routes of each version, each version's
OpenAPI document, the errors, and last the middleware that announces v1's deprecation on every
answer. Books live in memory, so they are gone when the server stops.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http import HTTPStatus
from itertools import count, islice
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The versions' documents are served at /v1/openapi.json and /v2/openapi.json, below.
# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
api = FastAPI(title="Reading list", openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False)

# --- the data: stored once, in v2's terms -------------------------------------------------------

Status = Literal["to-read", "reading", "done"]
Text = Annotated[str, Field(min_length=1, max_length=500)]
# strict: "300" is a string, not a number of pages; lax validation would quietly convert it.
Pages = Annotated[int, Field(ge=1, le=100_000, strict=True)]
Notes = Annotated[str, Field(max_length=5_000)]
Authors = Annotated[list[Text], Field(min_length=1, max_length=10)]


class BookV1In(BaseModel):
    """v1's body for POST and PUT: lesson 1's book, unchanged."""

    title: Text
    author: Text
    pages: Pages | None = None
    status: Status = "to-read"
    notes: Notes | None = None


class BookV2In(BaseModel):
    """v2's body for POST and PUT: several authors, `pages` renamed `page_count`."""

    title: Text
    authors: Authors
    page_count: Pages | None = None
    status: Status = "to-read"
    notes: Notes | None = None


class NoNullsForRequired(BaseModel):
    """A PATCH body: only the fields it names change. `null` clears an optional field, and is
    refused for a required one."""

    @field_validator("title", "author", "authors", "status", check_fields=False)
    @classmethod
    def _required_fields_stay_set(cls, value: Any) -> Any:
        # Runs only for fields the body names, so a None here is a null the client sent.
        if value is None:
            raise ValueError("cannot be null; leave it out to keep its value")
        return value


class BookV1Patch(NoNullsForRequired):
    title: Text | None = None
    author: Text | None = None
    pages: Pages | None = None
    status: Status | None = None
    notes: Notes | None = None


class BookV2Patch(NoNullsForRequired):
    title: Text | None = None
    authors: Authors | None = None
    page_count: Pages | None = None
    status: Status | None = None
    notes: Notes | None = None


class Identified(BaseModel):
    id: int


class BookV1(BookV1In, Identified):  # Identified last, so that `id` comes first
    pass


class BookV2(BookV2In, Identified):
    added_at: str = Field(description="When the book was created: RFC 3339, in UTC.")


# id -> book, as v2 shows it: the richer shape, so nothing either version says is lost. Ids only
# grow and dicts keep insertion order, so iterating gives creation order, the order lists page
# through. The routes are `async def`: they run one at a time on one event loop, so no lock.
BOOKS: dict[int, dict[str, Any]] = {}
NEXT_ID = count(1)


def now_rfc3339() -> str:
    """This moment in UTC, to the second: 2026-12-02T05:28:07Z (RFC 3339)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def as_v1(book: dict[str, Any]) -> dict[str, Any]:
    """A stored book as v1 shows it. Several authors become one string, joined with ", ", the
    best that v1's single `author` can say (the README fixes this)."""
    return {"id": book["id"], "title": book["title"], "author": ", ".join(book["authors"]),
            "pages": book["page_count"], "status": book["status"], "notes": book["notes"]}


def from_v1(values: dict[str, Any], stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored fields a v1 write sets.

    v1 cannot see co-authors, so it must not destroy them: an `author` equal to what v1 shows for
    the stored book (a client writing back what it read) keeps the authors list. Any other
    `author` is one name, never split on commas: "Pratchett, Terry" is one author.
    """
    changes = {key: value for key, value in values.items() if key not in ("author", "pages")}
    if "pages" in values:
        changes["page_count"] = values["pages"]
    if "author" in values:
        unchanged = stored is not None and values["author"] == as_v1(stored)["author"]
        changes["authors"] = stored["authors"] if unchanged else [values["author"]]
    return changes


def find_book(book_id: int) -> dict[str, Any]:
    book = BOOKS.get(book_id)
    if book is None:
        raise HTTPException(404, f"there is no book with id {book_id}")
    return book


def create(fields: dict[str, Any]) -> dict[str, Any]:
    book_id = next(NEXT_ID)
    BOOKS[book_id] = {"id": book_id, **fields, "added_at": now_rfc3339()}
    return BOOKS[book_id]


def replace(book_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    # added_at says when the book was created: replacing its fields does not make it new.
    stored = find_book(book_id)
    BOOKS[book_id] = {"id": book_id, **fields, "added_at": stored["added_at"]}
    return BOOKS[book_id]


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (RFC 9110 §15.5.16)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(415, "send the body as JSON, with Content-Type: application/json")


JsonBody = Depends(require_json)


def page_of(request: Request, response: Response, limit: int, cursor: str | None,
            status: Status | None) -> list[dict[str, Any]]:
    """One page of stored books, oldest first, setting `Link: rel="next"` when more follow.
    Both versions list the same books, so they share this; each shows them in its own shape."""
    after = parse_cursor(cursor)
    matching = (book for book_id, book in BOOKS.items()
                if book_id > after and (status is None or book["status"] == status))
    page = list(islice(matching, limit + 1))  # one more than asked: is there a next page?
    if len(page) > limit:
        page = page[:limit]
        next_url = request.url.include_query_params(cursor=str(page[-1]["id"]))
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return page


def parse_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdecimal():
        raise HTTPException(400, "this cursor was not issued by this server; follow Link instead")
    return int(cursor)


Limit = Annotated[int, Query(ge=1, le=100)]

# --- v1: lesson 1's contract, under /v1 ---------------------------------------------------------


@api.api_route("/v1/books", methods=["GET", "HEAD"], response_model=dict[str, list[BookV1]])
async def list_books_v1(request: Request, response: Response, limit: Limit = 10,
                        cursor: str | None = None, status: Status | None = None) -> Any:
    return {"items": [as_v1(book) for book in page_of(request, response, limit, cursor, status)]}


@api.post("/v1/books", status_code=201, dependencies=[JsonBody], response_model=BookV1)
async def create_book_v1(book: BookV1In, request: Request, response: Response) -> Any:
    created = create(from_v1(book.model_dump()))
    response.headers["Location"] = str(request.url_for("get_book_v1", book_id=created["id"]))
    return as_v1(created)


@api.api_route("/v1/books/{book_id}", methods=["GET", "HEAD"], response_model=BookV1)
async def get_book_v1(book_id: int) -> Any:
    return as_v1(find_book(book_id))


@api.put("/v1/books/{book_id}", dependencies=[JsonBody], response_model=BookV1)
async def replace_book_v1(book_id: int, book: BookV1In) -> Any:
    return as_v1(replace(book_id, from_v1(book.model_dump(), find_book(book_id))))


@api.patch("/v1/books/{book_id}", dependencies=[JsonBody], response_model=BookV1)
async def update_book_v1(book_id: int, changes: BookV1Patch) -> Any:
    book = find_book(book_id)
    book.update(from_v1(changes.model_dump(exclude_unset=True), book))
    return as_v1(book)


@api.delete("/v1/books/{book_id}", status_code=204)
async def delete_book_v1(book_id: int) -> Response:
    return delete(book_id)


# --- v2: the same books, in the new shape -------------------------------------------------------


@api.api_route("/v2/books", methods=["GET", "HEAD"], response_model=dict[str, list[BookV2]])
async def list_books_v2(request: Request, response: Response, limit: Limit = 10,
                        cursor: str | None = None, status: Status | None = None) -> Any:
    return {"items": page_of(request, response, limit, cursor, status)}


@api.post("/v2/books", status_code=201, dependencies=[JsonBody], response_model=BookV2)
async def create_book_v2(book: BookV2In, request: Request, response: Response) -> Any:
    created = create(book.model_dump())
    response.headers["Location"] = str(request.url_for("get_book_v2", book_id=created["id"]))
    return created


@api.api_route("/v2/books/{book_id}", methods=["GET", "HEAD"], response_model=BookV2)
async def get_book_v2(book_id: int) -> Any:
    return find_book(book_id)


@api.put("/v2/books/{book_id}", dependencies=[JsonBody], response_model=BookV2)
async def replace_book_v2(book_id: int, book: BookV2In) -> Any:
    return replace(book_id, book.model_dump())


@api.patch("/v2/books/{book_id}", dependencies=[JsonBody], response_model=BookV2)
async def update_book_v2(book_id: int, changes: BookV2Patch) -> Any:
    book = find_book(book_id)
    book.update(changes.model_dump(exclude_unset=True))
    return book


@api.delete("/v2/books/{book_id}", status_code=204)
async def delete_book_v2(book_id: int) -> Response:
    return delete(book_id)


def delete(book_id: int) -> Response:
    """204 and no body (RFC 9110 §15.3.5), from both versions at once: they share the books."""
    if BOOKS.pop(book_id, None) is None:
        raise HTTPException(404, f"there is no book with id {book_id}")
    return Response(status_code=204)


# --- one OpenAPI document per version -----------------------------------------------------------

DOCUMENTS: dict[str, dict[str, Any]] = {}


def document_of(version: str) -> dict[str, Any]:
    """The OpenAPI document of one version: only the routes under its prefix, so a client
    generating code from v2's document never sees v1's operations."""
    if version not in DOCUMENTS:
        routes = [route for route in api.routes if isinstance(route, APIRoute)
                  and route.path.startswith(f"/{version}/books")]
        with warnings.catch_warnings():  # FastAPI warns about what the loop below fixes
            warnings.simplefilter("ignore")
            document = get_openapi(title=f"Reading list {version}",
                                   version="1.1.0" if version == "v1" else "2.0.0", routes=routes)
        # A route answering GET and HEAD gets one operationId for both, and OpenAPI wants each
        # operation's id to be unique: name each one by its method and path instead.
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                operation["operationId"] = method + path.replace("/", "_").replace("{", "").replace("}", "")
        DOCUMENTS[version] = document
    return DOCUMENTS[version]


@api.get("/v1/openapi.json", include_in_schema=False)
async def openapi_v1() -> dict[str, Any]:
    return document_of("v1")


@api.get("/v2/openapi.json", include_in_schema=False)
async def openapi_v2() -> dict[str, Any]:
    return document_of("v2")


# --- errors: every one an RFC 9457 problem ------------------------------------------------------


def problem(status: int, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    """An RFC 9457 problem details response (`about:blank`: titled with the status phrase)."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


@api.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers, detail = dict(exc.headers or {}), str(exc.detail)
    if exc.status_code == 405:
        # Allow must list every method this URI supports (RFC 9110 §15.5.6), not only those of
        # the first route that matched the path.
        headers["Allow"] = ", ".join(allowed_methods(request.url.path))
        detail = f"{request.method} is not supported here; the Allow header lists what is"
    elif exc.status_code == 404 and detail == "Not Found":
        # /v3/books and /v0/books land here: a version this API never had is an unknown path.
        detail = f"there is nothing at {request.url.path}; the versions are /v1 and /v2"
    return problem(exc.status_code, detail, headers)


@api.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(error["type"] == "json_invalid" for error in errors):
        return problem(400, "the body is not valid JSON; check its quotes, commas and brackets")
    if any(error["type"] == "missing" and tuple(error["loc"]) == ("body",) for error in errors):
        return problem(400, "the body is empty; send the book as JSON")  # nothing parses
    if any(error["loc"][0] == "path" for error in errors):
        return problem(404, f"there is nothing at {request.url.path}")
    fields = [
        {"field": ".".join(str(part) for part in error["loc"][1:]),
         "message": error["msg"].removeprefix("Value error, ")}
        for error in errors
    ]
    detail = "; ".join(f"{f['field'] or 'body'}: {f['message']}" for f in fields)
    return problem(422, detail, errors=fields)


METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def allowed_methods(path: str) -> list[str]:
    """Every method some route accepts for `path`, in a conventional order."""
    methods: set[str] = set()
    for route in api.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    return sorted(methods, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99)


# --- v1 announces its deprecation, on every answer ----------------------------------------------

# v1 has been deprecated since this moment (RFC 9745 wants it as @seconds since 1970).
DEPRECATED_AT = datetime(2026, 7, 1, tzinfo=UTC)
# A real API fixes its sunset in its version policy; this one is a year after the server
# starts, so that the example never announces a sunset that has passed.
SUNSET_AT = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=365)
DEPRECATION = f"@{int(DEPRECATED_AT.timestamp())}"
SUNSET = format_datetime(SUNSET_AT, usegmt=True)  # IMF-fixdate: Fri, 31 Dec 2027 00:00:00 GMT


def announce_v1_deprecation(app: ASGIApp) -> ASGIApp:
    """Wrap the whole app, so that every response under /v1 carries Deprecation, Sunset and the
    links to the migration notes, the policy and the same resource in v2: errors too, even the
    500s that FastAPI's own error middleware answers. Adding the headers route by route would
    forget the 404s and 422s, which are exactly what a client stuck on v1 sees."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/v1" or path.startswith("/v1/")):
            await app(scope, receive, send)
            return
        successor = "/v2" + path.removeprefix("/v1")
        links = (f'<{successor}>; rel="successor-version", '
                 '</v2/openapi.json>; rel="deprecation", </v2/openapi.json>; rel="sunset"')
        announced = [(b"deprecation", DEPRECATION.encode()), (b"sunset", SUNSET.encode()),
                     (b"link", links.encode())]

        async def send_announced(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *announced]}
            await send(message)

        await app(scope, receive, send_announced)

    return wrapped


app = announce_v1_deprecation(api)
