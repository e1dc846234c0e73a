"""/v1/books and /v2/books: one catalogue, two contracts. Every route reads and writes the same
rows; only the shape of the bodies differs (see `shapes`). v1 routes are marked deprecated in
the documents; `lifecycle` adds the headers that announce it on every v1 response."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException
from sandbox_api.features.versions import shapes
from sandbox_api.features.versions.deps import ExistingBook, StoreDep, check_authors, write
from sandbox_api.features.versions.shapes import (
    BooksV1,
    BooksV2,
    BookV1,
    BookV1Create,
    BookV1Update,
    BookV2,
    BookV2Create,
    BookV2Update,
)
from sandbox_api.listing import DEFAULT_LIMIT, LIST_RESPONSES, Cursor, Limit, page

v1 = APIRouter(prefix="/v1/books", tags=["v1"], deprecated=True)
v2 = APIRouter(prefix="/v2/books", tags=["v2"])

_NOT_FOUND = problem_responses({404: "No book has this id."})
_WRITE_ERRORS = problem_responses({409: "Another book already has this ISBN.",
                                   422: "A field is missing or invalid, or an author id names no "
                                        "author; `errors` names each one."})
_CREATED = {201: {"description": "Created.", "headers": {"Location": {
    "description": "The URI of the new book, in this version.", "schema": {"type": "string"}}}}}


def _list(version: shapes.VersionName, store: StoreDep, request: Request, response: Response,
          limit: int, cursor: str | None, genre: str | None) -> dict[str, Any]:
    found = page(request, response, collection=f"/{version}/books", sort="id", limit=limit,
                 cursor=cursor, fetch=lambda _column, _descending, after, n: store.list(
                     genre, after, n))
    return {**found, "items": [shapes.SHOW[version](row) for row in found["items"]]}


def _created(version: shapes.VersionName, row: dict[str, Any], request: Request,
             response: Response) -> dict[str, Any]:
    response.headers["Location"] = str(request.url_for(f"get_book_{version}", book_id=row["id"]))
    return shapes.SHOW[version](row)


def _delete(store: StoreDep, book: dict[str, Any]) -> Response:
    if not store.delete(book["id"]):
        raise ProblemException(404, f"no book with id {book['id']}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- v1 -----------------------------------------------------------------------------------------


@v1.get("", name="list_books_v1", response_model=BooksV1, responses=LIST_RESPONSES)
def list_books_v1(store: StoreDep, request: Request, response: Response,
                  limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
                  genre: Annotated[str | None, Query(description="Only this genre.")] = None) -> Any:
    """List books in v1's shape, a page at a time (`Link: rel="next"`)."""
    return _list("v1", store, request, response, limit, cursor, genre)


@v1.post("", name="create_book_v1", status_code=201, response_model=BookV1,
         responses={**_CREATED, **_WRITE_ERRORS})
def create_book_v1(book: BookV1Create, store: StoreDep, request: Request,
                   response: Response) -> Any:
    """Add a book with one author and a price in euros."""
    check_authors(store, [book.author_id], "author_id")
    row = write(lambda: store.insert(shapes.row_from_v1(book.model_dump())))
    return _created("v1", row, request, response)


@v1.get("/{book_id}", name="get_book_v1", response_model=BookV1, responses=_NOT_FOUND)
def get_book_v1(book: ExistingBook) -> Any:
    """One book in v1's shape: its first author only, the price in euros, `added` in seconds."""
    return shapes.v1_of(book)


@v1.patch("/{book_id}", name="update_book_v1", response_model=BookV1,
          responses={**_NOT_FOUND, **_WRITE_ERRORS})
def update_book_v1(book: ExistingBook, changes: BookV1Update, store: StoreDep) -> Any:
    """Change some fields. Co-authors survive unless `author_id` names another first author."""
    values = changes.model_dump(exclude_unset=True)
    check_authors(store, [values["author_id"]] if "author_id" in values else [], "author_id")
    row = write(lambda: store.update(book["id"], shapes.row_from_v1(values, book)))
    return shapes.v1_of(row)


@v1.delete("/{book_id}", name="delete_book_v1", status_code=204, response_class=Response,
           responses=_NOT_FOUND)
def delete_book_v1(book: ExistingBook, store: StoreDep) -> Response:
    """Delete a book, from every version. 204 No Content."""
    return _delete(store, book)


# --- v2 -----------------------------------------------------------------------------------------


@v2.get("", name="list_books_v2", response_model=BooksV2, responses=LIST_RESPONSES)
def list_books_v2(store: StoreDep, request: Request, response: Response,
                  limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
                  category: Annotated[str | None, Query(description="Only this category.")] = None,
                  ) -> Any:
    """List books in v2's shape, a page at a time (`Link: rel="next"`)."""
    return _list("v2", store, request, response, limit, cursor, category)


@v2.post("", name="create_book_v2", status_code=201, response_model=BookV2,
         responses={**_CREATED, **_WRITE_ERRORS})
def create_book_v2(book: BookV2Create, store: StoreDep, request: Request,
                   response: Response) -> Any:
    """Add a book with its authors (first author first) and a price in cents."""
    check_authors(store, book.author_ids, "author_ids")
    row = write(lambda: store.insert(shapes.row_from_v2(book.model_dump())))
    return _created("v2", row, request, response)


@v2.get("/{book_id}", name="get_book_v2", response_model=BookV2, responses=_NOT_FOUND)
def get_book_v2(book: ExistingBook) -> Any:
    """One book in v2's shape."""
    return shapes.v2_of(book)


@v2.patch("/{book_id}", name="update_book_v2", response_model=BookV2,
          responses={**_NOT_FOUND, **_WRITE_ERRORS})
def update_book_v2(book: ExistingBook, changes: BookV2Update, store: StoreDep) -> Any:
    """Change some fields; `author_ids`, when sent, replaces the whole list."""
    values = changes.model_dump(exclude_unset=True)
    check_authors(store, values.get("author_ids"), "author_ids")
    row = write(lambda: store.update(book["id"], shapes.row_from_v2(values)))
    return shapes.v2_of(row)


@v2.delete("/{book_id}", name="delete_book_v2", status_code=204, response_class=Response,
           responses=_NOT_FOUND)
def delete_book_v2(book: ExistingBook, store: StoreDep) -> Response:
    """Delete a book, from every version. 204 No Content."""
    return _delete(store, book)


ROUTERS = {"v1": v1, "v2": v2}
