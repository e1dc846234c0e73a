"""/caching/...: the bookshop's data with validators, caching policies and preconditions.

Each resource has the caching policy its data calls for (RFC 9111 §5.2): the catalogue is the same
for everyone and changes rarely (public, a minute), the bestseller report is slow to compute
(public, 30 s, negotiated on Accept and Accept-Encoding), stock changes all the time (no-cache:
revalidate every use), and a basket is personal (no-store).
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException
from sandbox_api.deps import DbDep, row_id
from sandbox_api.features.bookshop.models import BookCreate, BookPublic, json_int
from sandbox_api.features.bookshop.store import BookshopStore
from sandbox_api.features.caching.responses import Representation, answer, check_write, encode
from sandbox_api.features.caching.store import CachingStore

router = APIRouter(prefix="/caching", tags=["caching"])

CATALOGUE_POLICY = "public, max-age=60"
REPORT_POLICY = "public, max-age=30"
STOCK_POLICY = "no-cache"
BASKET_POLICY = "no-store"
REPORT_SECONDS = 1.0  # how long the bestseller report takes to "compute": long enough to feel

_VALIDATED = {
    304: {"description": "Not Modified: If-None-Match (or If-Modified-Since) names the current "
                         "version. No body; the same ETag and Cache-Control as a 200."},
}
_HEADERS = {
    "If-None-Match": "ETags you hold (or `*`): a 304 when one is current (weak comparison).",
    "If-Modified-Since": "An HTTP date: a 304 when unchanged since; ignored with If-None-Match.",
    "If-Match": "The ETag your change is based on: a 412 when it is no longer current (strong "
                "comparison).",
}


def conditional(*names: str, required: bool = False) -> dict[str, Any]:
    """`openapi_extra` documenting the conditional request headers a route reads itself (from
    `request.headers`, so that a missing required one can be answered 428, not 422)."""
    return {"parameters": [{"name": name, "in": "header", "required": required,
                            "description": _HEADERS[name], "schema": {"type": "string"}}
                           for name in names]}
_BOOK_ERRORS = problem_responses({404: "No book has this id.",
                                  412: "If-Match names an older version of the book."})
_STOCK_ERRORS = problem_responses({404: "No book has this id.",
                                   412: "If-Match names an older stock level.",
                                   428: "The PUT has no If-Match: stock only changes "
                                        "conditionally."})


InStock = json_int(ge=0, le=1_000_000, description="Copies on the shelf.")


class Stock(BaseModel):
    book_id: int
    in_stock: int = Field(ge=0)


class StockUpdate(BaseModel):
    in_stock: InStock


class BasketLine(BaseModel):
    book_id: int
    quantity: int


class Basket(BaseModel):
    items: list[BasketLine]


def _stores(db: DbDep) -> tuple[BookshopStore, CachingStore]:
    return BookshopStore(db), CachingStore(db)


Stores = Annotated[tuple[BookshopStore, CachingStore], Depends(_stores)]


def _book(stores: tuple[BookshopStore, CachingStore], book_id: str) -> tuple[int, Representation]:
    books, caching = stores
    found = row_id(book_id)
    row = books.get("books", found) if found is not None else None
    if found is None or row is None:
        raise ProblemException(404, f"no book with id {book_id}")
    body = encode(BookPublic.model_validate(row).model_dump(mode="json"))
    probe = Representation(body, "application/json", CATALOGUE_POLICY)
    return found, Representation(body, "application/json", CATALOGUE_POLICY,
                                 last_modified=caching.modified(found, probe.etag))


@router.get("/books/{book_id}", name="get_cached_book", response_model=BookPublic,
            responses={**_VALIDATED, **_BOOK_ERRORS},
            openapi_extra=conditional("If-None-Match", "If-Modified-Since"))
def get_book(book_id: str, request: Request, stores: Stores) -> Response:
    """A book of the catalogue, with `ETag`, `Last-Modified` and `Cache-Control: public,
    max-age=60`. Send the ETag back in `If-None-Match` (or the date in `If-Modified-Since`) to
    get a `304` while it has not changed."""
    return answer(request, _book(stores, book_id)[1])


@router.put("/books/{book_id}", name="replace_cached_book", response_model=BookPublic,
            responses=_BOOK_ERRORS, openapi_extra=conditional("If-Match"))
def replace_book(book_id: str, book: BookCreate, request: Request, stores: Stores) -> Response:
    """Replace a book, like `PUT /books/{id}`. `If-Match` is optional here, as RFC 9110 allows:
    without it, the last writer wins and an earlier change can be lost; with it, a stale write
    is refused with `412`. The answer carries the new `ETag`."""
    found, current = _book(stores, book_id)
    check_write(request, current, required=False)
    stores[0].update("books", found, book.model_dump())
    return answer(request, _book(stores, book_id)[1])


def _stock(stores: tuple[BookshopStore, CachingStore], book_id: str) -> tuple[int, Representation]:
    found = row_id(book_id)
    row = stores[1].stock(found) if found is not None else None
    if found is None or row is None:
        raise ProblemException(404, f"no stock for a book with id {book_id}")
    body = encode(Stock(book_id=row["book_id"], in_stock=row["in_stock"]).model_dump())
    return found, Representation(body, "application/json", STOCK_POLICY,
                                 last_modified=datetime.fromisoformat(row["modified"]))


@router.get("/stock/{book_id}", name="get_stock", response_model=Stock,
            responses={**_VALIDATED, **problem_responses({404: "No book has this id."})},
            openapi_extra=conditional("If-None-Match", "If-Modified-Since"))
def get_stock(book_id: str, request: Request, stores: Stores) -> Response:
    """How many copies of a book are in stock, with `Cache-Control: no-cache`: a cache may keep
    it, but must revalidate it before every use."""
    return answer(request, _stock(stores, book_id)[1])


@router.put("/stock/{book_id}", name="set_stock", response_model=Stock, responses=_STOCK_ERRORS,
            openapi_extra=conditional("If-Match", required=True))
def set_stock(book_id: str, update: StockUpdate, request: Request, stores: Stores) -> Response:
    """Set the stock level. `If-Match` is **required**: without it `428 Precondition Required`
    (RFC 6585), with a stale ETag `412`. Two clerks counting at once cannot lose a count."""
    found, current = _stock(stores, book_id)
    check_write(request, current, required=True)
    stores[1].set_stock(found, update.in_stock)
    return answer(request, _stock(stores, book_id)[1])


@router.get("/basket", name="get_basket", response_model=Basket)
def get_basket(stores: Stores) -> Response:
    """The visitor's basket: personal, so `Cache-Control: no-store`. No cache, private or
    shared, may keep any of it."""
    body = encode({"items": stores[1].basket()})
    return Response(body, media_type="application/json",
                    headers={"Cache-Control": BASKET_POLICY})


REPORT_TYPES = {"application/json", "text/csv"}


@router.get("/reports/bestsellers", name="get_bestsellers",
            responses={200: {"content": {"text/csv": {}}}, **_VALIDATED,
                       **problem_responses({406: "Accept names neither application/json nor "
                                                 "text/csv."})},
            openapi_extra=conditional("If-None-Match"))
async def get_bestsellers(request: Request, stores: Stores) -> Response:
    """The ten best-selling books. **Slow on purpose** (about a second): put a cache in front of
    it and feel the difference. `Cache-Control: public, max-age=30`. JSON or CSV by `Accept`,
    gzip by `Accept-Encoding`, so `Vary: Accept, Accept-Encoding`, and each variant has its own
    strong ETag."""
    media_type = _negotiate(request.headers.get("accept", "*/*"))
    await asyncio.sleep(getattr(request.app.state, "report_seconds", REPORT_SECONDS))
    rows = stores[1].bestsellers(10)
    body = encode({"items": rows}) if media_type == "application/json" else _csv(rows)
    gzipped = "gzip" in request.headers.get("accept-encoding", "").lower()
    report = Representation(gzip.compress(body, mtime=0) if gzipped else body, media_type,
                            REPORT_POLICY, vary="Accept, Accept-Encoding",
                            content_encoding="gzip" if gzipped else None)
    return answer(request, report)


def _negotiate(accept: str) -> str:
    wanted = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    for media_type in wanted:
        if media_type in REPORT_TYPES:
            return media_type
        if media_type in ("*/*", "application/*"):
            return "application/json"
        if media_type == "text/*":
            return "text/csv"
    raise ProblemException(406, "the report comes as application/json or text/csv; ask for one "
                           "of them in Accept", slug="not-acceptable")


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["rank", "book_id", "title", "sold"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()
