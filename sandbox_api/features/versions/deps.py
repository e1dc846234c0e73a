"""What the versioned routes share: the store, ids as opaque path segments, and the checks
every write makes whichever version it comes through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Path

from httpkit.problems import ProblemException
from sandbox_api.deps import DbDep, row_id
from sandbox_api.features.versions.store import CatalogueStore, DuplicateIsbn


async def _store(db: DbDep) -> CatalogueStore:
    return CatalogueStore(db)


StoreDep = Annotated[CatalogueStore, Depends(_store)]
BookIdPath = Annotated[str, Path(min_length=1, description="The book's id, as its `id` or "
                                 "`Location` gives it (the same in every version); any other value "
                                 "is simply not found (404).")]


async def existing_book(book_id: BookIdPath, store: StoreDep) -> dict[str, Any]:
    found = row_id(book_id)
    row = store.get(found) if found is not None else None
    if row is None:
        raise ProblemException(404, f"no book with id {book_id}")
    return row


# The stored row of the book in the path, or a 404 on every method before the body is read.
ExistingBook = Annotated[dict[str, Any], Depends(existing_book)]


def check_authors(store: CatalogueStore, author_ids: list[int] | None, field: str) -> None:
    """422 naming `field` when an author id names no author."""
    unknown = store.authors_exist(author_ids or [])
    if unknown:
        error = {"location": "body", "field": field, "type": "unknown_author",
                 "message": f"no author with id {', '.join(map(str, unknown))}"}
        raise ProblemException(422, f"invalid: {field}", errors=[error])


def write(action: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    """Run a store write; a duplicate ISBN is a 409, a row gone meanwhile a 404."""
    try:
        row = action()
    except DuplicateIsbn as exc:
        raise ProblemException(409, str(exc)) from exc
    if row is None:
        raise ProblemException(404, "the book was deleted meanwhile")
    return row
