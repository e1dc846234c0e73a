"""The two shapes of one book, and how each maps onto the stored row.

v2 made four breaking changes to v1 (the changelog at /versions/v1/migration lists them):

| v1                        | v2                                          | kind of change            |
|---------------------------|---------------------------------------------|---------------------------|
| `author_id`: 3            | `author_ids`: [3, 7]                        | one value became a list   |
| `price`: 21.5 (euros)     | `price`: {"amount": 2150, "currency": "EUR"}| money in minor units      |
| `genre`                   | `category`                                  | a field renamed           |
| `added`: 1717171717       | `added_at`: "2024-05-31T16:08:37Z"          | Unix seconds to RFC 3339  |

Data that only v2 can express shows in v1 as well as v1 can: a book with co-authors shows its
first author. A v1 write never loses what it cannot see: a v1 PATCH without `author_id` keeps
every author, and one whose `author_id` is the first author already keeps the co-authors too.
"""

from __future__ import annotations

from calendar import timegm
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox_api.features.bookshop.models import (
    AuthorId,
    Genre,
    Isbn,
    NotNull,
    Omittable,
    Price,
    Tags,
    Title,
    Year,
    json_int,
)

_STRICT = ConfigDict(extra="forbid")
AuthorIds = Annotated[list[AuthorId], Field(min_length=1, max_length=5,
                                            description="Ids of the authors, first author first.")]
Cents = json_int(ge=0, le=1_000_000, description="In minor units: 2150 is 21.50 euros.")


# --- v1 -----------------------------------------------------------------------------------------


class BookV1Create(BaseModel):
    model_config = _STRICT
    title: Title
    author_id: AuthorId
    year: Year
    isbn: Isbn
    price: Price
    genre: Genre
    tags: Tags = []


class BookV1Update(BaseModel):
    """PATCH: any field may be left out, none may be null."""

    model_config = _STRICT
    title: Annotated[Title, NotNull] = Omittable
    author_id: Annotated[AuthorId, NotNull] = Omittable
    year: Annotated[Year, NotNull] = Omittable
    isbn: Annotated[Isbn, NotNull] = Omittable
    price: Annotated[Price, NotNull] = Omittable
    genre: Annotated[Genre, NotNull] = Omittable
    tags: Annotated[Tags, NotNull] = Omittable


class _Identified(BaseModel):
    id: int = Field(description="Assigned by the server; the same in every version.")


class BookV1(BookV1Create, _Identified):  # _Identified last so that `id` comes first
    model_config = ConfigDict(extra="ignore")
    author_id: AuthorId = Field(description="The first author, for a book that has several.")
    added: int = Field(description="When the book was added, in seconds since 1970 (UTC).")


class BooksV1(BaseModel):
    items: list[BookV1]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the "
                                                "last page.")


def v1_of(row: dict[str, Any]) -> dict[str, Any]:
    """A stored book as v1 shows it."""
    added = datetime.fromisoformat(row["added_at"].replace("Z", "+00:00"))
    return {"id": row["id"], "title": row["title"], "author_id": row["author_ids"][0],
            "year": row["year"], "isbn": row["isbn"], "price": row["price_cents"] / 100,
            "genre": row["genre"], "tags": row["tags"], "added": timegm(added.utctimetuple())}


def row_from_v1(values: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The columns a v1 write sets. With `current` (the stored book), an `author_id` that is its
    first author already keeps the co-authors that v1 cannot show."""
    row = {k: v for k, v in values.items() if k not in ("author_id", "price")}
    if "price" in values:
        row["price_cents"] = round(values["price"] * 100)
    if "author_id" in values:
        kept = current is not None and current["author_ids"][0] == values["author_id"]
        row["author_ids"] = current["author_ids"] if kept else [values["author_id"]]
    return row


# --- v2 -----------------------------------------------------------------------------------------


class Money(BaseModel):
    model_config = _STRICT
    amount: Cents
    currency: Literal["EUR"] = Field(description="ISO 4217; the catalogue sells in euros.")


class BookV2Create(BaseModel):
    model_config = _STRICT
    title: Title
    author_ids: AuthorIds
    year: Year
    isbn: Isbn
    price: Money
    category: Genre
    tags: Tags = []


class BookV2Update(BaseModel):
    """PATCH: any field may be left out, none may be null; a list given replaces the old one."""

    model_config = _STRICT
    title: Annotated[Title, NotNull] = Omittable
    author_ids: Annotated[AuthorIds, NotNull] = Omittable
    year: Annotated[Year, NotNull] = Omittable
    isbn: Annotated[Isbn, NotNull] = Omittable
    price: Annotated[Money, NotNull] = Omittable
    category: Annotated[Genre, NotNull] = Omittable
    tags: Annotated[Tags, NotNull] = Omittable


class BookV2(BookV2Create, _Identified):
    model_config = ConfigDict(extra="ignore")
    added_at: datetime = Field(description="When the book was added: an RFC 3339 date-time in UTC.")


class BooksV2(BaseModel):
    items: list[BookV2]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the "
                                                "last page.")


def v2_of(row: dict[str, Any]) -> dict[str, Any]:
    """A stored book as v2 shows it."""
    return {"id": row["id"], "title": row["title"], "author_ids": row["author_ids"],
            "year": row["year"], "isbn": row["isbn"],
            "price": {"amount": row["price_cents"], "currency": "EUR"},
            "category": row["genre"], "tags": row["tags"], "added_at": row["added_at"]}


def row_from_v2(values: dict[str, Any]) -> dict[str, Any]:
    """The columns a v2 write sets."""
    renamed = {"category": "genre"}
    row = {renamed.get(k, k): v for k, v in values.items() if k != "price"}
    if "price" in values:
        row["price_cents"] = values["price"]["amount"]
    return row


VersionName = Literal["v1", "v2"]
SHOW = {"v1": v1_of, "v2": v2_of}
