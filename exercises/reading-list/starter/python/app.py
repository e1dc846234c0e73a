"""Reading list: your starting point for exercise 1 (REST and HTTP semantics).

Run it:    apilab serve reading-list        (restarts when you save)
Check it:  apilab check reading-list

It runs, and it lists an empty reading list. Everything else is yours to build: README.md has
the exact contract, and `apilab check` tells you, request by request, what is still missing.
Work through the TODOs roughly in order; each one makes a few more checks pass.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="Reading list", redirect_slashes=False)

# id -> book, in memory: the list is empty again whenever the server restarts.
BOOKS: dict[int, dict[str, Any]] = {}


@app.get("/books")
async def list_books() -> dict[str, Any]:
    # TODO pagination: accept ?limit= (1-100, default 10; anything else is a 422, not capped)
    #      and ?cursor=, return at most `limit` books after the cursor, and add
    #      `Link: <URL of the next page>; rel="next"` when more remain. Also accept ?status= to
    #      list only the books with that status, and keep limit and status in the next link.
    #      Answer HEAD here too: @app.api_route("/books", methods=["GET", "HEAD"]).
    return {"items": list(BOOKS.values())}


# TODO create: POST /books with a JSON body {title, author, pages?, status?, notes?}.
#      Validate it with a Pydantic model (title and author not empty; pages an integer of at
#      least 1, and "300" as a string refused: Field(ge=1, strict=True); status one of "to-read",
#      "reading", "done"), give it the next id, store it, and answer 201 with a Location header
#      (/books/{id}) and the stored book as JSON.

# TODO read: GET /books/{id}, 200 with the book, or 404 when there is no such book.
#      Accept HEAD on the same route: methods=["GET", "HEAD"].

# TODO replace: PUT /books/{id} stores exactly the book it is sent (fields left out take their
#      defaults) and answers 200 with it; 404 for an unknown id.

# TODO update: PATCH /books/{id} changes only the fields it is sent; 200 with the whole book.
#      null clears pages or notes; title, author or status set to null is a 422.

# TODO delete: DELETE /books/{id} answers 204 with no body (and no Content-Length); 404 when
#      the book is not there.

# TODO errors: every error is application/problem+json with type, title, status and detail
#      (RFC 9457). Add exception handlers for HTTPException and RequestValidationError:
#      - malformed JSON, an empty body included -> 400, with no stack trace in the body;
#      - missing or invalid fields -> 422;
#      - a POST, PUT or PATCH body that is not Content-Type: application/json -> 415
#        (any letter case, parameters such as charset allowed: Application/JSON is JSON);
#      - a method a URL does not support -> 405 with an Allow header listing ALL the methods it
#        does support (FastAPI's own Allow lists only one route's methods).
