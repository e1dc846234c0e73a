"""Request and response bodies. Each resource has a family: XCreate (POST and PUT bodies),
XUpdate (PATCH: every field optional), XPublic (one resource) and XsPublic (a list page).

Values are not converted: `"2020"` is not a year and `false` is not a price, so numbers are
strict. A JSON number with no fraction, such as `1533.0`, is the integer 1533, as JSON and JSON
Schema count it, and is accepted wherever an integer is.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict


def _whole_number(value: Any) -> Any:
    # 1533.0 is the same JSON number as 1533; 1533.5, "1533" and true stay errors
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out, but not set to null")
    return value


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # left out of a PATCH, not null: the document shows no default


def json_int(**constraints: Any) -> Any:
    """A JSON integer with `Field` constraints (ge, le, description): strict, but 1533.0 is 1533."""
    return Annotated[int, Strict(), Field(**constraints), BeforeValidator(_whole_number)]


JsonNumber = Annotated[float, Strict()]  # an integer or a fraction, never a boolean or a string
NotNull = BeforeValidator(_refuse_null)
Omittable = Field(default=None, json_schema_extra=_no_default)

Title = Annotated[str, Field(min_length=1, max_length=200, examples=["The Quiet Harbour"])]
AuthorId = json_int(ge=1, description="The id of an existing author.")
Year = json_int(ge=1450, le=2100, description="Year of first publication.")
Isbn = Annotated[
    str,
    Field(pattern=r"^97[89][0-9]{10}$", description="ISBN-13, digits only.",
          examples=["9780306406157"]),
]
Price = Annotated[JsonNumber, Field(ge=0, le=10_000, description="Price in euros.")]
Genre = Annotated[str, Field(min_length=1, max_length=40, examples=["mystery"])]
Tags = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=30)]],
    Field(max_length=10, description="Free-form labels."),
]
Name = Annotated[str, Field(min_length=1, max_length=120, examples=["Ada Okafor"])]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code.")]
Born = json_int(ge=1000, le=2100, description="Year of birth.")

_STRICT = ConfigDict(extra="forbid")  # an unknown field is a mistake worth reporting


class BookCreate(BaseModel):
    model_config = _STRICT
    title: Title
    author_id: AuthorId
    year: Year
    isbn: Isbn
    price: Price
    genre: Genre
    tags: Tags = []


class BookUpdate(BaseModel):
    """PATCH: any field may be left out, none may be null."""

    model_config = _STRICT
    title: Annotated[Title, NotNull] = Omittable
    author_id: Annotated[AuthorId, NotNull] = Omittable
    year: Annotated[Year, NotNull] = Omittable
    isbn: Annotated[Isbn, NotNull] = Omittable
    price: Annotated[Price, NotNull] = Omittable
    genre: Annotated[Genre, NotNull] = Omittable
    tags: Annotated[Tags, NotNull] = Omittable


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


class AuthorUpdate(BaseModel):
    """PATCH: any field may be left out; `country` and `born` may be set to null to clear
    them, `name` may not."""

    model_config = _STRICT
    name: Annotated[Name, NotNull] = Omittable
    country: Country | None = None
    born: Born | None = None


class AuthorPublic(AuthorCreate, _WithId):
    model_config = ConfigDict(extra="ignore")


class AuthorsPublic(BaseModel):
    items: list[AuthorPublic]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )
