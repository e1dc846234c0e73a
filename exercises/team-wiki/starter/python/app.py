"""Team wiki: your starting point for the caching exercise (validators and preconditions).

Run it:    apilab serve team-wiki        (reloads when you save)
Check it:  apilab check team-wiki

It already stores pages and serves them, but it trusts every request: no ETag, no Last-Modified,
no 304, and a PUT that blindly overwrites whatever another editor just saved. README.md has the
exact contract; work through the TODOs roughly in order, running `apilab check` as you go.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="Team wiki", redirect_slashes=False)

NonEmpty = Annotated[StrictStr, Field(min_length=1)]


class PageIn(BaseModel):
    title: NonEmpty
    body: StrictStr


class PagePatch(BaseModel):
    title: NonEmpty | None = None
    body: StrictStr | None = None


# slug -> {"slug", "title", "body", "revision"}, in memory.
PAGES: dict[str, dict[str, Any]] = {}

# TODO validators: give every page a strong ETag that changes exactly when the page's JSON
#      changes (a hash of the bytes you send works well), and a Last-Modified date (whole
#      seconds, GMT). Send both, with Cache-Control: no-cache, on GET and HEAD, and send the new
#      ones with the answer to every successful PUT and PATCH.

# TODO conditional reads: If-None-Match (a list of tags, or *; weak comparison) answers 304
#      with ETag and Cache-Control and no body. Only without If-None-Match, If-Modified-Since
#      answers 304 when the page has not changed since that date. Do the same for GET /pages,
#      whose ETag changes whenever the list does.

# TODO conditional writes: PUT, PATCH and DELETE of an existing page need If-Match (428 without
#      it), compared strongly with the current ETag (412 when it does not match). Creating a page
#      needs If-None-Match: * (412 when the page exists). Every 412 and 428 changes nothing.


@app.api_route("/pages", methods=["GET", "HEAD"])
async def list_pages() -> dict[str, Any]:
    items = [{"slug": p["slug"], "title": p["title"], "revision": p["revision"]}
             for _slug, p in sorted(PAGES.items())]
    return {"items": items}


@app.api_route("/pages/{slug}", methods=["GET", "HEAD"])
async def get_page(slug: str) -> dict[str, Any]:
    return find_page(slug)


@app.put("/pages/{slug}")
async def put_page(slug: str, content: PageIn, request: Request, response: Response) -> dict[str, Any]:
    page = PAGES.get(slug)
    if page is None:
        PAGES[slug] = page = {"slug": slug, "title": content.title, "body": content.body,
                              "revision": 1}
        response.status_code = 201
        response.headers["Location"] = str(request.url_for("get_page", slug=slug))
        return page
    page.update(title=content.title, body=content.body, revision=page["revision"] + 1)
    return page


@app.patch("/pages/{slug}")
async def patch_page(slug: str, changes: PagePatch) -> dict[str, Any]:
    page = find_page(slug)
    page.update(changes.model_dump(exclude_none=True), revision=page["revision"] + 1)
    return page


@app.delete("/pages/{slug}", status_code=204)
async def delete_page(slug: str) -> Response:
    find_page(slug)
    del PAGES[slug]
    return Response(status_code=204)


def find_page(slug: str) -> dict[str, Any]:
    page = PAGES.get(slug)
    if page is None:
        raise HTTPException(404, f"there is no page {slug!r}")
    return page


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # Every error is an RFC 9457 problem, as in exercise 1.
    body = {"type": "about:blank", "title": str(exc.detail), "status": exc.status_code,
            "detail": str(exc.detail)}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers,
                        media_type="application/problem+json")
