"""/books: the bookshop's catalogue, with full CRUD, filters, sorting and pagination."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status

from sandbox_api.db import ConflictError, Filter
from sandbox_api.deps import DEFAULT_LIMIT, Cursor, DbDep, JsonBody, Limit
from sandbox_api.docs import CREATED_RESPONSES, LIST_RESPONSES, WRITE_ERRORS, problem_docs
from sandbox_api.models import BookCreate, BookPublic, BooksPublic, BookUpdate
from sandbox_api.pagination import list_page
from sandbox_api.problems import ProblemException

router = APIRouter(prefix="/books", tags=["books"])

BookSort = Literal["id", "-id", "title", "-title", "year", "-year", "price", "-price"]
_NOT_FOUND = problem_docs(
    e404="No book has this id.", e422="The id in the path is not a whole number."
)
_CONFLICT = problem_docs(e409="Another book already has this ISBN.")


def _book_or_404(db: DbDep, book_id: int) -> dict[str, Any]:
    row = db.get("books", book_id)
    if row is None:
        raise ProblemException(404, f"no book with id {book_id}")
    return row


def _check_author(db: DbDep, author_id: int | None) -> None:
    if author_id is not None and not db.exists("authors", author_id):
        error = {
            "location": "body",
            "field": "author_id",
            "type": "unknown_author",
            "message": f"no author with id {author_id}; create the author first",
        }
        raise ProblemException(422, "invalid: author_id", errors=[error])


def _write(action: Any) -> dict[str, Any]:
    try:
        return action()
    except ConflictError as exc:
        raise ProblemException(409, str(exc)) from exc


@router.get("", name="list_books", response_model=BooksPublic, responses=LIST_RESPONSES)
def list_books(
    db: DbDep,
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
    return list_page(
        db,
        "books",
        request,
        response,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        to_public=BookPublic.model_validate,
    )


@router.post(
    "",
    name="create_book",
    status_code=status.HTTP_201_CREATED,
    response_model=BookPublic,
    dependencies=[JsonBody],
    responses={**CREATED_RESPONSES, **_CONFLICT},
)
def create_book(book: BookCreate, db: DbDep, request: Request, response: Response) -> Any:
    """Add a book. Answers 201 Created with the new book and its URI in `Location`."""
    _check_author(db, book.author_id)
    row = _write(lambda: db.insert("books", book.model_dump()))
    response.headers["Location"] = str(request.url_for("get_book", book_id=row["id"]))
    return row


@router.get("/{book_id}", name="get_book", response_model=BookPublic, responses=_NOT_FOUND)
def get_book(book_id: int, db: DbDep) -> Any:
    """One book by id."""
    return _book_or_404(db, book_id)


@router.put(
    "/{book_id}",
    name="replace_book",
    response_model=BookPublic,
    dependencies=[JsonBody],
    responses={**_NOT_FOUND, **WRITE_ERRORS, **_CONFLICT},
)
def replace_book(book_id: int, book: BookCreate, db: DbDep) -> Any:
    """Replace a book entirely: every field is required, as in POST. Fields left out of
    PUT are not kept from the old version, which is what makes PUT idempotent."""
    _book_or_404(db, book_id)
    _check_author(db, book.author_id)
    return _write(lambda: db.update("books", book_id, book.model_dump()))


@router.patch(
    "/{book_id}",
    name="update_book",
    response_model=BookPublic,
    dependencies=[JsonBody],
    responses={**_NOT_FOUND, **WRITE_ERRORS, **_CONFLICT},
)
def update_book(book_id: int, changes: BookUpdate, db: DbDep) -> Any:
    """Change some fields of a book; the fields you leave out keep their value."""
    _book_or_404(db, book_id)
    values = changes.model_dump(exclude_unset=True)
    _check_author(db, values.get("author_id"))
    return _write(lambda: db.update("books", book_id, values))


@router.delete(
    "/{book_id}",
    name="delete_book",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_NOT_FOUND,
)
def delete_book(book_id: int, db: DbDep) -> Response:
    """Delete a book. Answers 204 No Content, with an empty body."""
    if not db.delete("books", book_id):
        raise ProblemException(404, f"no book with id {book_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
