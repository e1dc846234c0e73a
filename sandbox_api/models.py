"""Request and response bodies. Each resource has a family: XCreate (POST and PUT bodies),
XUpdate (PATCH: every field optional), XPublic (one resource) and XsPublic (a list page)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

Title = Annotated[str, Field(min_length=1, max_length=200, examples=["The Quiet Harbour"])]
AuthorId = Annotated[int, Field(ge=1, description="The id of an existing author.")]
Year = Annotated[int, Field(ge=1450, le=2100, description="Year of first publication.")]
Isbn = Annotated[
    str,
    Field(
        pattern=r"^97[89]\d{10}$", description="ISBN-13, digits only.", examples=["9780306406157"]
    ),
]
Price = Annotated[float, Field(ge=0, le=10_000, description="Price in euros.")]
Genre = Annotated[str, Field(min_length=1, max_length=40, examples=["mystery"])]
Tags = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=30)]],
    Field(max_length=10, description="Free-form labels."),
]
Name = Annotated[str, Field(min_length=1, max_length=120, examples=["Ada Okafor"])]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code.")]
Born = Annotated[int, Field(ge=1000, le=2100, description="Year of birth.")]

_STRICT = ConfigDict(extra="forbid")  # an unknown field is a mistake worth reporting


class _NoNulls(BaseModel):
    """PATCH bodies may leave a field out, but may not set a required field to null."""

    nullable_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _reject_null(cls, value: Any, info: Any) -> Any:
        if value is None and info.field_name not in cls.nullable_fields:
            raise ValueError("may be left out, but not set to null")
        return value


class BookCreate(BaseModel):
    model_config = _STRICT
    title: Title
    author_id: AuthorId
    year: Year
    isbn: Isbn
    price: Price
    genre: Genre
    tags: Tags = []


class BookUpdate(_NoNulls):
    model_config = _STRICT
    title: Title | None = None
    author_id: AuthorId | None = None
    year: Year | None = None
    isbn: Isbn | None = None
    price: Price | None = None
    genre: Genre | None = None
    tags: Tags | None = None


class _WithId(BaseModel):
    id: int = Field(description="Assigned by the server; never reused.")


class BookPublic(BookCreate, _WithId):  # _WithId last so that `id` comes first
    model_config = ConfigDict(extra="ignore")


class BooksPublic(BaseModel):
    items: list[BookPublic]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class AuthorCreate(BaseModel):
    model_config = _STRICT
    name: Name
    country: Country | None = None
    born: Born | None = None


class AuthorUpdate(_NoNulls):
    model_config = _STRICT
    nullable_fields = frozenset({"country", "born"})
    name: Name | None = None
    country: Country | None = None
    born: Born | None = None


class AuthorPublic(AuthorCreate, _WithId):
    model_config = ConfigDict(extra="ignore")


class AuthorsPublic(BaseModel):
    items: list[AuthorPublic]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class FieldError(BaseModel):
    location: str = Field(description="body, query or path")
    field: str = Field(description="Dotted path to the field, e.g. `tags.0`.")
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem detail, sent as application/problem+json."""

    type: str = Field(examples=["/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no book with id 999"])
    instance: str = Field(examples=["/books/999"])
    errors: list[FieldError] | None = Field(default=None, description="Only on 422.")
