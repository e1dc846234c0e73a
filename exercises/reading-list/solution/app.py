"""Reading list: the reference solution of exercise 1 (REST and HTTP semantics).

Run it from this folder with `uvicorn app:app --port 8001`, then `apilab check reading-list`.

Everything the contract in README.md asks for is here, in one file, so it can be read top to
bottom: the data model, the routes, then the error handling that makes every failure an RFC 9457
problem. Books live in memory, so they are gone when the server stops.
"""

from __future__ import annotations

from http import HTTPStatus
from itertools import count, islice
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="Reading list", redirect_slashes=False)

# --- the data -----------------------------------------------------------------------------------

Status = Literal["to-read", "reading", "done"]
Text = Annotated[str, Field(min_length=1, max_length=500)]
# strict: "300" is a string, not a number of pages; lax validation would quietly convert it.
Pages = Annotated[int, Field(ge=1, le=100_000, strict=True)]
Notes = Annotated[str, Field(max_length=5_000)]


class BookIn(BaseModel):
    """What a client sends to create (POST) or replace (PUT) a book. The server picks the id."""

    title: Text
    author: Text
    pages: Pages | None = None
    status: Status = "to-read"
    notes: Notes | None = None


class BookPatch(BaseModel):
    """A PATCH body: only the fields it names change. `null` clears an optional field."""

    title: Text | None = None
    author: Text | None = None
    pages: Pages | None = None
    status: Status | None = None
    notes: Notes | None = None

    @field_validator("title", "author", "status")
    @classmethod
    def _required_fields_stay_set(cls, value: Any) -> Any:
        # Runs only for the fields the body names (defaults are not validated), so a None here
        # is a null the client sent; raising here names the field in the 422's errors.
        if value is None:
            raise ValueError("cannot be null; leave it out to keep its value")
        return value


# id -> book. Ids only grow, and dicts keep insertion order, so iterating gives creation order,
# which is the order the list pages through. The routes are `async def`: they all run on one event
# loop, one at a time, so this dict needs no lock.
BOOKS: dict[int, dict[str, Any]] = {}
NEXT_ID = count(1)


def find_book(book_id: int) -> dict[str, Any]:
    book = BOOKS.get(book_id)
    if book is None:
        raise HTTPException(404, f"there is no book with id {book_id}")
    return book


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (RFC 9110 §15.5.16).

    FastAPI would otherwise answer 422 for a text/plain body, which blames the content when the
    real problem is its format.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(415, "send the body as JSON, with Content-Type: application/json")


JsonBody = Depends(require_json)

# --- the routes ---------------------------------------------------------------------------------


@app.api_route("/books", methods=["GET", "HEAD"])
async def list_books(
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    cursor: str | None = None,
    status: Status | None = None,
) -> dict[str, Any]:
    """One page of books, oldest first. `Link: <...>; rel="next"` points at the next page."""
    after = parse_cursor(cursor)
    matching = (
        book
        for book_id, book in BOOKS.items()
        if book_id > after and (status is None or book["status"] == status)
    )
    # Ask for one more than the page holds: if it exists there is a next page, and the last
    # page never links to an empty one.
    page = list(islice(matching, limit + 1))
    if len(page) > limit:
        page = page[:limit]
        # The cursor says "after this book". Keeping the other query parameters (limit, status)
        # means the next page is filtered and sized like this one.
        next_url = request.url.include_query_params(cursor=str(page[-1]["id"]))
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return {"items": page}


def parse_cursor(cursor: str | None) -> int:
    """The id after which a page starts. Clients treat cursors as opaque: they only follow links."""
    if cursor is None:
        return 0
    if not cursor.isdecimal():
        raise HTTPException(400, "this cursor was not issued by this server; follow Link instead")
    return int(cursor)


@app.post("/books", status_code=201, dependencies=[JsonBody])
async def create_book(book: BookIn, request: Request, response: Response) -> dict[str, Any]:
    """Create a book; 201 with a Location naming it (RFC 9110 §15.3.2)."""
    book_id = next(NEXT_ID)
    BOOKS[book_id] = {"id": book_id, **book.model_dump()}
    response.headers["Location"] = str(request.url_for("get_book", book_id=book_id))
    return BOOKS[book_id]


@app.api_route("/books/{book_id}", methods=["GET", "HEAD"])
async def get_book(book_id: int) -> dict[str, Any]:
    # HEAD runs this same function; uvicorn sends the headers (Content-Length included) and drops
    # the body, which is exactly what RFC 9110 §9.3.2 asks of HEAD.
    return find_book(book_id)


@app.put("/books/{book_id}", dependencies=[JsonBody])
async def replace_book(book_id: int, book: BookIn) -> dict[str, Any]:
    """Replace the whole book: fields left out take their defaults (RFC 9110 §9.3.4).

    Ids are chosen by the server, so PUT to an unknown id is a 404, not a way to create.
    """
    find_book(book_id)
    BOOKS[book_id] = {"id": book_id, **book.model_dump()}
    return BOOKS[book_id]


@app.patch("/books/{book_id}", dependencies=[JsonBody])
async def update_book(book_id: int, changes: BookPatch) -> dict[str, Any]:
    """Change only the fields sent (RFC 5789); the others keep their values."""
    book = find_book(book_id)
    book.update(changes.model_dump(exclude_unset=True))
    return book


@app.delete("/books/{book_id}", status_code=204)
async def delete_book(book_id: int) -> Response:
    """204 and no body (RFC 9110 §15.3.5). A second DELETE finds nothing: 404."""
    if BOOKS.pop(book_id, None) is None:
        raise HTTPException(404, f"there is no book with id {book_id}")
    return Response(status_code=204)


# --- errors: every one an RFC 9457 problem ------------------------------------------------------


def problem(status: int, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    """An RFC 9457 problem details response.

    `type` is "about:blank" because these errors mean no more than their status code; RFC 9457
    §4.2.1 says `title` is then the status code's phrase.
    """
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers, detail = dict(exc.headers or {}), str(exc.detail)
    if exc.status_code == 405:
        # Starlette names only the methods of the first route that matched the path; Allow must
        # list every method this URI supports (RFC 9110 §15.5.6).
        headers["Allow"] = ", ".join(allowed_methods(request.url.path))
        detail = f"{request.method} is not supported here; the Allow header lists what is"
    return problem(exc.status_code, detail, headers)


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(error["type"] == "json_invalid" for error in errors):
        # Say what is wrong, never how the server failed: no parser internals, no stack trace.
        return problem(400, "the body is not valid JSON; check its quotes, commas and brackets")
    if any(error["type"] == "missing" and tuple(error["loc"]) == ("body",) for error in errors):
        return problem(400, "the body is empty; send the book as JSON")  # nothing parses
    if any(error["loc"][0] == "path" for error in errors):
        # /books/abc names no book: that is a missing resource, not invalid input.
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
    for route in app.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    return sorted(methods, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99)
