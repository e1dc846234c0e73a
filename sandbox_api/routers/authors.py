"""/authors: who wrote the books, with full CRUD, a name search and pagination."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status

from sandbox_api.db import ConflictError, Filter
from sandbox_api.deps import DEFAULT_LIMIT, Cursor, DbDep, JsonBody, Limit
from sandbox_api.docs import CREATED_RESPONSES, LIST_RESPONSES, WRITE_ERRORS, problem_docs
from sandbox_api.models import AuthorCreate, AuthorPublic, AuthorsPublic, AuthorUpdate
from sandbox_api.pagination import list_page
from sandbox_api.problems import ProblemException

router = APIRouter(prefix="/authors", tags=["authors"])

AuthorSort = Literal["id", "-id", "name", "-name"]
_NOT_FOUND = problem_docs(
    e404="No author has this id.", e422="The id in the path is not a whole number."
)


def _author_or_404(db: DbDep, author_id: int) -> dict[str, Any]:
    row = db.get("authors", author_id)
    if row is None:
        raise ProblemException(404, f"no author with id {author_id}")
    return row


@router.get("", name="list_authors", response_model=AuthorsPublic, responses=LIST_RESPONSES)
def list_authors(
    db: DbDep,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    sort: Annotated[AuthorSort, Query(description="Field to sort by; `-` for descending.")] = "id",
    country: Annotated[str | None, Query(description="Only authors from this country.")] = None,
    q: Annotated[str | None, Query(description="Case-insensitive search in the name.")] = None,
) -> Any:
    """List authors, a page at a time, with the same envelope and `Link` header as /books."""
    filters = [Filter("country", country)] if country else []
    if q:
        filters.append(Filter("name", q, "contains"))
    return list_page(
        db,
        "authors",
        request,
        response,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        to_public=AuthorPublic.model_validate,
    )


@router.post(
    "",
    name="create_author",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthorPublic,
    dependencies=[JsonBody],
    responses=CREATED_RESPONSES,
)
def create_author(author: AuthorCreate, db: DbDep, request: Request, response: Response) -> Any:
    """Add an author. Answers 201 Created with the author and its URI in `Location`."""
    row = db.insert("authors", author.model_dump())
    response.headers["Location"] = str(request.url_for("get_author", author_id=row["id"]))
    return row


@router.get("/{author_id}", name="get_author", response_model=AuthorPublic, responses=_NOT_FOUND)
def get_author(author_id: int, db: DbDep) -> Any:
    """One author by id."""
    return _author_or_404(db, author_id)


@router.put(
    "/{author_id}",
    name="replace_author",
    response_model=AuthorPublic,
    dependencies=[JsonBody],
    responses={**_NOT_FOUND, **WRITE_ERRORS},
)
def replace_author(author_id: int, author: AuthorCreate, db: DbDep) -> Any:
    """Replace an author entirely; optional fields left out become null."""
    _author_or_404(db, author_id)
    return db.update("authors", author_id, author.model_dump())


@router.patch(
    "/{author_id}",
    name="update_author",
    response_model=AuthorPublic,
    dependencies=[JsonBody],
    responses={**_NOT_FOUND, **WRITE_ERRORS},
)
def update_author(author_id: int, changes: AuthorUpdate, db: DbDep) -> Any:
    """Change some fields of an author; the fields you leave out keep their value."""
    _author_or_404(db, author_id)
    return db.update("authors", author_id, changes.model_dump(exclude_unset=True))


@router.delete(
    "/{author_id}",
    name="delete_author",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_NOT_FOUND, **problem_docs(e409="The author still has books.")},
)
def delete_author(author_id: int, db: DbDep) -> Response:
    """Delete an author who has no books left. Answers 204 No Content."""
    try:
        deleted = db.delete("authors", author_id)
    except ConflictError as exc:
        raise ProblemException(409, str(exc)) from exc
    if not deleted:
        raise ProblemException(404, f"no author with id {author_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
