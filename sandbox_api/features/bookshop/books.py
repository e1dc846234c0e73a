"""/books: the bookshop's catalogue, with full CRUD, filters, sorting and pagination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status

from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException
from sandbox_api.features.bookshop.deps import ExistingBook, StoreDep
from sandbox_api.features.bookshop.models import BookCreate, BookPublic, BooksPublic, BookUpdate
from sandbox_api.features.bookshop.store import BookshopStore, ConflictError, Filter
from sandbox_api.listing import DEFAULT_LIMIT, LIST_RESPONSES, Cursor, Limit, page

router = APIRouter(prefix="/books", tags=["books"])

BookSort = Literal["id", "-id", "title", "-title", "year", "-year", "price", "-price"]
_NOT_FOUND = problem_responses({404: "No book has this id."})
_CONFLICT = problem_responses({409: "Another book already has this ISBN."})
_UNKNOWN_AUTHOR = problem_responses({422: "A field is missing or invalid, or `author_id` names "
                                          "no author; `errors` names each one."})
_CREATED = {201: {"description": "Created.", "headers": {"Location": {
    "description": "The URI of the new book.", "schema": {"type": "string"}}}}}


def _check_author(store: BookshopStore, author_id: int | None) -> None:
    if author_id is not None and not store.exists("authors", author_id):
        error = {
            "location": "body",
            "field": "author_id",
            "type": "unknown_author",
            "message": f"no author with id {author_id}; create the author first",
        }
        raise ProblemException(422, "invalid: author_id", errors=[error])


def _write(action: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    try:
        return action()
    except ConflictError as exc:
        raise ProblemException(409, str(exc)) from exc


@router.get("", name="list_books", response_model=BooksPublic, responses=LIST_RESPONSES)
def list_books(
    store: StoreDep,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    sort: Annotated[BookSort, Query(description="Field to sort by; `-` for descending.")] = "id",
    author_id: Annotated[int | None, Query(description="Only this author's books.")] = None,
    genre: Annotated[str | None, Query(description="Only this genre, e.g. `mystery`.")] = None,
    year: Annotated[int | None, Query(description="Only books first published this year.")] = None,
    q: Annotated[str | None, Query(description="Case-insensitive search in the title.")] = None,
) -> Any:
    """List books, a page at a time.

    The response is an envelope: `items` and `next_cursor`. When there is a next page, the
    `Link` header carries its URL with `rel="next"` (RFC 8288): follow it until it is absent.
    """
    filters = [
        Filter(c, v)
        for c, v in (("author_id", author_id), ("genre", genre), ("year", year))
        if v is not None
    ]
    if q:
        filters.append(Filter("title", q, "contains"))
    return page(request, response, collection="/books", sort=sort, limit=limit, cursor=cursor,
                fetch=lambda column, descending, after, n: store.list(
                    "books", filters, column, descending, after, n))


@router.post(
    "",
    name="create_book",
    status_code=status.HTTP_201_CREATED,
    response_model=BookPublic,
    responses={**_CREATED, **_CONFLICT, **_UNKNOWN_AUTHOR},
)
def create_book(book: BookCreate, store: StoreDep, request: Request, response: Response) -> Any:
    """Add a book. Answers 201 Created with the new book and its URI in `Location`."""
    _check_author(store, book.author_id)
    row = _write(lambda: store.insert("books", book.model_dump()))
    assert row is not None
    response.headers["Location"] = str(request.url_for("get_book", book_id=row["id"]))
    return row


@router.get("/{book_id}", name="get_book", response_model=BookPublic, responses=_NOT_FOUND)
def get_book(book_id: ExistingBook, store: StoreDep) -> Any:
    """One book by id."""
    return store.get("books", book_id)


@router.put(
    "/{book_id}",
    name="replace_book",
    response_model=BookPublic,
    responses={**_NOT_FOUND, **_CONFLICT, **_UNKNOWN_AUTHOR},
)
def replace_book(book_id: ExistingBook, book: BookCreate, store: StoreDep) -> Any:
    """Replace a book entirely: every field is required, as in POST. Fields left out of
    PUT are not kept from the old version, which is what makes PUT idempotent."""
    _check_author(store, book.author_id)
    return _write(lambda: store.update("books", book_id, book.model_dump()))


@router.patch(
    "/{book_id}",
    name="update_book",
    response_model=BookPublic,
    responses={**_NOT_FOUND, **_CONFLICT, **_UNKNOWN_AUTHOR},
)
def update_book(book_id: ExistingBook, changes: BookUpdate, store: StoreDep) -> Any:
    """Change some fields of a book; the fields you leave out keep their value."""
    values = changes.model_dump(exclude_unset=True)
    _check_author(store, values.get("author_id"))
    return _write(lambda: store.update("books", book_id, values))


@router.delete(
    "/{book_id}",
    name="delete_book",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_NOT_FOUND,
)
def delete_book(book_id: ExistingBook, store: StoreDep) -> Response:
    """Delete a book. Answers 204 No Content, with an empty body."""
    if not store.delete("books", book_id):  # deleted by another request meanwhile
        raise ProblemException(404, f"no book with id {book_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
