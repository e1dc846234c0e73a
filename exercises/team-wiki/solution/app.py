"""Team wiki: the reference solution of the caching exercise (validators and preconditions).

Run it from this folder with `uvicorn app:app --port 8001`, then `apilab check team-wiki`.

Everything README.md asks for is in this one file, in reading order: how a page becomes the exact
bytes a client receives (and its ETag, a hash of those bytes), the two functions that decide every
conditional request, the routes, and the error handling. Pages live in memory.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictStr, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="Team wiki", redirect_slashes=False)

# Pages change all day: a cache may keep a copy, but must ask before every use (RFC 9111
# §5.2.2.4). Asking is cheap, since an unchanged page answers 304 without a body.
CACHE_CONTROL = "no-cache"

# --- representations: the bytes, their ETag, their date -----------------------------------------


@dataclass(frozen=True)
class Representation:
    """The exact bytes a GET sends, and the validators that describe them."""

    body: bytes
    etag: str
    last_modified: datetime | None = None

    def validators(self) -> dict[str, str]:
        """ETag, Last-Modified and Cache-Control: sent on a 200, on a 304 and after a write."""
        headers = {"ETag": self.etag, "Cache-Control": CACHE_CONTROL}
        if self.last_modified is not None:
            headers["Last-Modified"] = format_datetime(self.last_modified, usegmt=True)
        return headers


def represent(document: Any, last_modified: datetime | None = None) -> Representation:
    """Encode `document` once; its ETag is a hash of exactly those bytes.

    A strong ETag may only be shared by byte-identical representations (RFC 9110 §8.8.3). A hash
    of the bytes changes exactly when they change, is the same after a restart, and a page
    deleted and created again with other text can never get one of its old ETags back.
    """
    body = encode(document)
    return Representation(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', last_modified)


def encode(document: Any) -> bytes:
    # One fixed encoding (key order, separators), so that the same page always gives the same bytes.
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def now() -> datetime:
    # HTTP dates have whole seconds. Storing the fraction would make If-Modified-Since with the
    # Last-Modified a client was just given compare as "modified" (12:00:00.4 > 12:00:00).
    return datetime.now(UTC).replace(microsecond=0)


Text = StrictStr
NonEmpty = Annotated[StrictStr, Field(min_length=1)]


class PageIn(BaseModel):
    """A PUT body. `slug` and `revision` belong to the server: if sent, they are ignored."""

    title: NonEmpty
    body: Text


class PagePatch(BaseModel):
    """A PATCH body: only the fields it names change, and neither may be null."""

    title: NonEmpty | None = None
    body: Text | None = None

    @field_validator("title", "body")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only for fields the body names, so None here is a null the client sent.
        if value is None:
            raise ValueError("cannot be null; leave it out to keep its value")
        return value


@dataclass
class Page:
    slug: str
    title: str
    body: str
    revision: int
    stored: Representation = field(init=False)

    def __post_init__(self) -> None:
        self.save()

    def save(self) -> None:
        """Freeze the current fields into the representation GET serves, dated now."""
        document = {"slug": self.slug, "title": self.title, "body": self.body,
                    "revision": self.revision}
        self.stored = represent(document, now())


# slug -> page. The routes are `async def`, so they run one at a time on the event loop: the check
# of If-Match and the write that follows it cannot interleave with another request's.
PAGES: dict[str, Page] = {}


def page_list() -> Representation:
    items = [{"slug": p.slug, "title": p.title, "revision": p.revision}
             for p in sorted(PAGES.values(), key=lambda p: p.slug)]
    return represent({"items": items})


# --- conditional requests: RFC 9110 §13.2.2, in its order ----------------------------------------


ENTITY_TAG_OR_STAR = re.compile(r'(?:W/)?"[^"]*"|\*')


def entity_tags(header: str) -> list[str]:
    """The members of an If-Match or If-None-Match list: `*` or entity tags, W/ kept. A comma
    inside a tag's quotes belongs to the tag (RFC 9110 §8.8.3), so the list is not split at
    every comma."""
    return ENTITY_TAG_OR_STAR.findall(header)


def weak_match(a: str, b: str) -> bool:
    """RFC 9110 §8.8.3.2: equal opaque tags, whether either is weak or not."""
    return a.removeprefix("W/") == b.removeprefix("W/")


def strong_match(tag: str, etag: str) -> bool:
    """RFC 9110 §8.8.3.2: both strong and identical; `*` matches any current page (§13.1.1)."""
    return tag == "*" or (tag == etag and not tag.startswith("W/"))


def not_modified(request: Request, current: Representation) -> bool:
    """True when a GET or HEAD should be answered 304 (RFC 9110 §13.2.2, steps 3 and 4)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        # When If-None-Match is present, If-Modified-Since is not even looked at (§13.1.3):
        # the ETag is exact, a date is only as good as its second.
        return any(tag == "*" or weak_match(tag, current.etag) for tag in entity_tags(if_none_match))
    since = request.headers.get("if-modified-since")
    if since is None or current.last_modified is None:
        return False
    date = parse_http_date(since)
    if date is None:
        return False  # not an HTTP date: ignored, as §13.1.3 says, never an error
    return current.last_modified <= date


# RFC 9110 §5.6.7: an HTTP-date is an IMF-fixdate, or one of two obsolete forms a recipient
# still accepts; always in GMT, with the day's name.
HTTP_DATE_FORMATS = ("%a, %d %b %Y %H:%M:%S GMT",  # Sun, 06 Nov 1994 08:49:37 GMT
                     "%A, %d-%b-%y %H:%M:%S GMT",  # Sunday, 06-Nov-94 08:49:37 GMT
                     "%a %b %d %H:%M:%S %Y")  # Sun Nov  6 08:49:37 1994


def parse_http_date(value: str) -> datetime | None:
    """The moment an HTTP-date names, in UTC; None for anything else (a numeric zone, no
    day's name, another format)."""
    for form in HTTP_DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), form).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def check_write(request: Request, page: Page | None) -> None:
    """Raise 428 or 412 unless this PUT, PATCH or DELETE may go ahead (RFC 9110 §13.2.2 step 1).

    A page that does not exist is handled by the routes first (404 for PATCH and DELETE), so
    `page` is None only for a PUT that creates.
    """
    if_match = request.headers.get("if-match")
    creating = "*" in entity_tags(request.headers.get("if-none-match") or "")
    if if_match is None and not creating:
        raise HTTPException(428, "send If-Match with the ETag you read (or If-None-Match: * to "
                                 "create a page), so that no one else's change is overwritten")
    if if_match is not None and page is None:
        raise HTTPException(412, "there is no such page to match; create it with If-None-Match: *")
    if if_match is not None and not any(strong_match(tag, page.stored.etag)
                                        for tag in entity_tags(if_match)):
        raise HTTPException(412, "someone changed this page since you read it (its ETag is "
                                 "different now); GET it again and reapply your change",
                            headers={"ETag": page.stored.etag})
    if creating and page is not None:
        raise HTTPException(412, "this page already exists; GET it and change it with If-Match",
                            headers={"ETag": page.stored.etag})


def conditional_read(request: Request, current: Representation) -> Response:
    """200 with the bytes, or 304 with the same validators and no body (RFC 9110 §15.4.5)."""
    headers = current.validators()
    if not_modified(request, current):
        return Response(status_code=304, headers=headers)
    return Response(current.body, media_type="application/json", headers=headers)


def written(page: Page, status: int = 200, **headers: str) -> Response:
    """The answer to a successful write: the stored page and its new validators."""
    return Response(page.stored.body, status_code=status, media_type="application/json",
                    headers={**page.stored.validators(), **headers})


# --- the routes ---------------------------------------------------------------------------------


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (RFC 9110 §15.5.16)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    accepted = ("application/json", "application/merge-patch+json") if request.method == "PATCH" \
        else ("application/json",)
    if media_type not in accepted:
        raise HTTPException(415, f"send the body as JSON, with Content-Type: {' or '.join(accepted)}")


JsonBody = Depends(require_json)


# A page's name in its URL (README: the slug). Any other name names no page: GET, HEAD, PATCH and
# DELETE find nothing there (404), and PUT creates nothing.
SLUG = re.compile(r"[a-z0-9-]+")


def find_page(slug: str) -> Page:
    page = PAGES.get(slug)
    if page is None:
        raise HTTPException(404, f"there is no page {slug!r}")
    return page


@app.api_route("/pages", methods=["GET", "HEAD"])
async def list_pages(request: Request) -> Response:
    """Every page as {slug, title, revision}, sorted by slug; its ETag is a hash of the list."""
    return conditional_read(request, page_list())


@app.api_route("/pages/{slug}", methods=["GET", "HEAD"])
async def get_page(slug: str, request: Request) -> Response:
    # HEAD runs the same code, so it has exactly GET's validators; uvicorn drops the body.
    return conditional_read(request, find_page(slug).stored)


@app.put("/pages/{slug}", dependencies=[JsonBody])
async def put_page(slug: str, content: PageIn, request: Request) -> Response:
    """Create with If-None-Match: * (201), or replace title and body with If-Match (200)."""
    if not SLUG.fullmatch(slug):
        raise HTTPException(404, f"{slug!r} cannot name a page: a slug has lowercase letters, "
                                 "digits and - only")
    page = PAGES.get(slug)
    check_write(request, page)
    if page is None:
        PAGES[slug] = page = Page(slug, content.title, content.body, revision=1)
        return written(page, 201, Location=str(request.url_for("get_page", slug=slug)))
    page.title, page.body, page.revision = content.title, content.body, page.revision + 1
    page.save()
    return written(page)


@app.patch("/pages/{slug}", dependencies=[JsonBody])
async def patch_page(slug: str, changes: PagePatch, request: Request) -> Response:
    """Change only the fields sent (RFC 7396 merge patch); If-Match required."""
    page = find_page(slug)
    check_write(request, page)
    for name, value in changes.model_dump(exclude_unset=True).items():
        setattr(page, name, value)
    page.revision += 1
    page.save()
    return written(page)


@app.delete("/pages/{slug}", status_code=204)
async def delete_page(slug: str, request: Request) -> Response:
    page = find_page(slug)
    check_write(request, page)
    del PAGES[slug]
    return Response(status_code=204)


# --- errors: every one an RFC 9457 problem ------------------------------------------------------


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail}
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first matching route's methods; Allow must name every method
        # this URI supports (RFC 9110 §15.5.6), from all the routes that match it.
        methods = {m for route in app.routes if isinstance(route, Route) and route.methods
                   and route.path_regex.match(request.url.path) for m in route.methods}
        headers["Allow"] = ", ".join(m for m in ("GET", "HEAD", "PUT", "PATCH", "DELETE") if m in methods)
    return problem(exc.status_code, str(exc.detail), headers)


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(error["type"] == "json_invalid" for error in errors):
        return problem(400, "the body is not valid JSON; check its quotes, commas and brackets")
    detail = "; ".join(f"{'.'.join(str(p) for p in error['loc'][1:]) or 'body'}: "
                       f"{error['msg'].removeprefix('Value error, ')}" for error in errors)
    return problem(422, detail)
