"""What the bookshop's routes share: its store, and its ids as opaque path segments."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from sandbox_api.deps import DbDep
from sandbox_api.features.bookshop.store import BookshopStore


async def _store(db: DbDep) -> BookshopStore:
    return BookshopStore(db)


StoreDep = Annotated[BookshopStore, Depends(_store)]
BookIdPath = Annotated[str, Path(min_length=1, description="The book's id, as its `id` or `Location` gives "
                                             "it; any other value is simply not found (404).")]
AuthorIdPath = Annotated[str, Path(min_length=1, description="The author's id, as its `id` or `Location` "
                                               "gives it; any other value is simply not found "
                                               "(404).")]
