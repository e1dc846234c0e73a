"""/authors: who wrote the books, with full CRUD, a name search and pagination."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status

from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException
from sandbox_api.features.bookshop.deps import ExistingAuthor, StoreDep
from sandbox_api.features.bookshop.models import (
    AuthorCreate,
    AuthorPublic,
    AuthorsPublic,
    AuthorUpdate,
)
from sandbox_api.features.bookshop.store import ConflictError, Filter
from sandbox_api.listing import DEFAULT_LIMIT, LIST_RESPONSES, Cursor, Limit, page

router = APIRouter(prefix="/authors", tags=["authors"])

AuthorSort = Literal["id", "-id", "name", "-name"]
_NOT_FOUND = problem_responses({404: "No author has this id."})
_CREATED = {201: {"description": "Created.", "headers": {"Location": {
    "description": "The URI of the new author.", "schema": {"type": "string"}}}}}


@router.get("", name="list_authors", response_model=AuthorsPublic, responses=LIST_RESPONSES)
def list_authors(
    store: StoreDep,
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
    return page(request, response, collection="/authors", sort=sort, limit=limit,
                cursor=cursor, fetch=lambda column, descending, after, n: store.list(
                    "authors", filters, column, descending, after, n))


@router.post(
    "",
    name="create_author",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthorPublic,
    responses=_CREATED,
)
def create_author(author: AuthorCreate, store: StoreDep, request: Request,
                  response: Response) -> Any:
    """Add an author. Answers 201 Created with the author and its URI in `Location`."""
    row = store.insert("authors", author.model_dump())
    response.headers["Location"] = str(request.url_for("get_author", author_id=row["id"]))
    return row


@router.get("/{author_id}", name="get_author", response_model=AuthorPublic,
            responses=_NOT_FOUND)
def get_author(author_id: ExistingAuthor, store: StoreDep) -> Any:
    """One author by id."""
    return store.get("authors", author_id)


@router.put("/{author_id}", name="replace_author", response_model=AuthorPublic,
            responses=_NOT_FOUND)
def replace_author(author_id: ExistingAuthor, author: AuthorCreate, store: StoreDep) -> Any:
    """Replace an author entirely; optional fields left out become null."""
    return store.update("authors", author_id, author.model_dump())


@router.patch("/{author_id}", name="update_author", response_model=AuthorPublic,
              responses=_NOT_FOUND)
def update_author(author_id: ExistingAuthor, changes: AuthorUpdate, store: StoreDep) -> Any:
    """Change some fields of an author; the fields you leave out keep their value, and
    `country` or `born` set to null are cleared."""
    return store.update("authors", author_id, changes.model_dump(exclude_unset=True))


@router.delete(
    "/{author_id}",
    name="delete_author",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**_NOT_FOUND, **problem_responses({409: "The author still has books."})},
)
def delete_author(author_id: ExistingAuthor, store: StoreDep) -> Response:
    """Delete an author who has no books left. Answers 204 No Content."""
    try:
        deleted = store.delete("authors", author_id)
    except ConflictError as exc:
        raise ProblemException(409, str(exc)) from exc
    if not deleted:
        raise ProblemException(404, f"no author with id {author_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
