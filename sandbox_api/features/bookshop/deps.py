"""What the bookshop's routes share: its store, and its ids as opaque path segments."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from httpkit.problems import ProblemException
from sandbox_api.deps import DbDep, row_id
from sandbox_api.features.bookshop.store import BookshopStore


async def _store(db: DbDep) -> BookshopStore:
    return BookshopStore(db)


StoreDep = Annotated[BookshopStore, Depends(_store)]
_OPAQUE = "as its `id` or `Location` gives it; any other value is simply not found (404)."
BookIdPath = Annotated[str, Path(min_length=1, description=f"The book's id, {_OPAQUE}")]
AuthorIdPath = Annotated[str, Path(min_length=1, description=f"The author's id, {_OPAQUE}")]


def _existing(store: BookshopStore, table: str, noun: str, segment: str) -> int:
    found = row_id(segment)
    if found is None or not store.exists(table, found):
        raise ProblemException(404, f"no {noun} with id {segment}")
    return found


# Dependencies, so that an unknown id is a 404 on every method, before the body is validated.
async def _existing_book(book_id: BookIdPath, store: StoreDep) -> int:
    return _existing(store, "books", "book", book_id)


async def _existing_author(author_id: AuthorIdPath, store: StoreDep) -> int:
    return _existing(store, "authors", "author", author_id)


ExistingBook = Annotated[int, Depends(_existing_book)]
ExistingAuthor = Annotated[int, Depends(_existing_author)]
