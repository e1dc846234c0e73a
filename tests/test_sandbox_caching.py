"""Lesson 4's sandbox feature: the bookshop's data with validators, caching policies and
preconditions, under /caching. In-process (ASGI transport), one app for the module, reset before
each test; the bestseller report's delay is set to zero here (the notebook feels the real one)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from httpkit.conditional import parse_http_date
from sandbox_api.app import create_app
from sandbox_api.features.caching.store import SEEDED_AT
from sandbox_api.settings import SandboxSettings

BOOK = "/caching/books/7"
STOCK = "/caching/stock/7"
REPORT = "/caching/reports/bestsellers"
SEEDED_DATE = "Mon, 06 Jan 2025 09:00:00 GMT"


@pytest.fixture(scope="module")
def app():
    app = create_app(SandboxSettings(seed=42))
    app.state.report_seconds = 0
    return app


@pytest.fixture
async def api(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        assert (await client.post("/admin/reset")).status_code == 204
        yield client


# --- reads: validators and 304 ------------------------------------------------------------------


async def test_a_catalogue_book_has_validators_and_a_public_policy(api):
    response = await api.get(BOOK)
    assert response.status_code == 200
    assert response.json() == (await api.get("/books/7")).json()  # the bookshop's data
    assert response.headers["etag"].startswith('"') and len(response.headers["etag"]) > 10
    assert response.headers["last-modified"] == SEEDED_DATE
    assert parse_http_date(SEEDED_DATE) == SEEDED_AT
    assert response.headers["cache-control"] == "public, max-age=60"
    assert "vary" not in response.headers  # one representation only


async def test_lesson_1s_routes_answer_as_before(api):
    response = await api.get("/books/7")
    assert response.status_code == 200
    assert not {"etag", "last-modified", "cache-control", "vary"} & set(response.headers)
    assert (await api.put("/books/7", json={**_book(response.json()), "price": 2.0})).status_code == 200


async def test_if_none_match_with_the_etag_is_a_304_with_validators_and_no_body(api):
    first = await api.get(BOOK)
    etag = first.headers["etag"]
    for value in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        again = await api.get(BOOK, headers={"If-None-Match": value})
        assert again.status_code == 304, value
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "public, max-age=60"
    other = await api.get(BOOK, headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200 and other.json() == first.json()


async def test_if_modified_since_counts_only_without_if_none_match(api):
    assert (await api.get(BOOK, headers={"If-Modified-Since": SEEDED_DATE})).status_code == 304
    earlier = "Sun, 05 Jan 2025 09:00:00 GMT"
    assert (await api.get(BOOK, headers={"If-Modified-Since": earlier})).status_code == 200
    assert (await api.get(BOOK, headers={"If-Modified-Since": "yesterday"})).status_code == 200
    both = await api.get(BOOK, headers={"If-None-Match": '"nope"', "If-Modified-Since": SEEDED_DATE})
    assert both.status_code == 200


async def test_head_has_gets_validators_and_answers_304_too(api):
    get, head = await api.get(BOOK), await api.head(BOOK)
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "last-modified", "cache-control", "content-length"):
        assert head.headers[name] == get.headers[name]
    conditional = await api.head(BOOK, headers={"If-None-Match": get.headers["etag"]})
    assert conditional.status_code == 304


async def test_a_change_through_lesson_1s_route_is_a_new_version(api):
    before = await api.get(BOOK)
    await api.patch("/books/7", json={"price": 3.25})
    after = await api.get(BOOK)
    assert after.json()["price"] == 3.25
    assert after.headers["etag"] != before.headers["etag"]
    assert parse_http_date(after.headers["last-modified"]) > SEEDED_AT
    stale = await api.get(BOOK, headers={"If-None-Match": before.headers["etag"]})
    assert stale.status_code == 200


async def test_an_unknown_book_is_a_404_problem(api):
    for path in ("/caching/books/999", "/caching/books/abc", "/caching/stock/999"):
        response = await api.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


# --- writes: lost updates, 412 and 428 -----------------------------------------------------------


def _book(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "id"}


async def test_an_unconditional_put_loses_an_earlier_update(api):
    alice, bob = (await api.get(BOOK)).json(), (await api.get(BOOK)).json()
    assert (await api.put(BOOK, json={**_book(alice), "price": 16.0})).status_code == 200
    assert (await api.put(BOOK, json={**_book(bob), "title": "Bob's title"})).status_code == 200
    final = (await api.get(BOOK)).json()
    assert final["title"] == "Bob's title" and final["price"] == bob["price"]  # Alice's is lost


async def test_if_match_stops_the_lost_update_with_412(api):
    read = await api.get(BOOK)
    etag, book = read.headers["etag"], _book(read.json())
    alice = await api.put(BOOK, json={**book, "price": 16.0}, headers={"If-Match": etag})
    assert alice.status_code == 200 and alice.headers["etag"] != etag
    assert alice.headers["etag"] == (await api.get(BOOK)).headers["etag"]
    bob = await api.put(BOOK, json={**book, "title": "Bob's title"}, headers={"If-Match": etag})
    assert bob.status_code == 412
    assert bob.headers["content-type"] == "application/problem+json"
    assert bob.headers["etag"] == alice.headers["etag"]  # where Bob should start again
    assert (await api.get(BOOK)).json()["price"] == 16.0
    weak = await api.put(BOOK, json=book, headers={"If-Match": f"W/{alice.headers['etag']}"})
    assert weak.status_code == 412  # If-Match compares strongly


async def test_stock_requires_if_match_428_then_412_then_200(api):
    read = await api.get(STOCK)
    assert read.headers["cache-control"] == "no-cache"
    missing = await api.put(STOCK, json={"in_stock": 5})
    assert missing.status_code == 428
    assert missing.json()["type"] == "/problems/precondition-required"
    assert (await api.get(STOCK)).json() == read.json()  # nothing changed
    done = await api.put(STOCK, json={"in_stock": 5}, headers={"If-Match": read.headers["etag"]})
    assert done.status_code == 200 and done.json() == {"book_id": 7, "in_stock": 5}
    stale = await api.put(STOCK, json={"in_stock": 9}, headers={"If-Match": read.headers["etag"]})
    assert stale.status_code == 412
    assert (await api.get(STOCK)).json()["in_stock"] == 5


async def test_the_precondition_required_type_documents_itself(api):
    response = await api.get("/problems/precondition-required")
    assert response.status_code == 200
    assert "If-Match" in response.text


async def test_the_basket_is_never_stored(api):
    response = await api.get("/caching/basket")
    assert response.status_code == 200 and len(response.json()["items"]) == 3
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


# --- the report: negotiated, compressed, slow ---------------------------------------------------


async def test_the_report_varies_on_accept_and_accept_encoding(api):
    identity = await api.get(REPORT, headers={"Accept-Encoding": "identity"})
    assert identity.status_code == 200
    assert identity.headers["vary"] == "Accept, Accept-Encoding"
    assert identity.headers["cache-control"] == "public, max-age=30"
    items = identity.json()["items"]
    assert [row["rank"] for row in items] == list(range(1, 11))
    assert items == sorted(items, key=lambda row: -row["sold"])
    compressed = await api.get(REPORT, headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.json() == identity.json()  # httpx decodes it
    as_csv = await api.get(REPORT, headers={"Accept": "text/csv", "Accept-Encoding": "identity"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0] == "rank,book_id,title,sold"
    etags = {r.headers["etag"] for r in (identity, compressed, as_csv)}
    assert len(etags) == 3  # each variant its own strong ETag


async def test_the_gzip_variant_is_the_same_bytes_every_time_and_revalidates(api):
    first = await api.get(REPORT, headers={"Accept-Encoding": "gzip"})
    second = await api.get(REPORT, headers={"Accept-Encoding": "gzip"})
    assert second.headers["etag"] == first.headers["etag"]  # no timestamp inside the gzip stream
    again = await api.get(REPORT, headers={"Accept-Encoding": "gzip",
                                           "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["vary"] == "Accept, Accept-Encoding"


async def test_a_report_in_a_format_it_cannot_send_is_406(api):
    response = await api.get(REPORT, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.json()["type"] == "/problems/not-acceptable"


def test_the_document_lists_304_412_and_428(app):
    paths = app.openapi()["paths"]
    assert "304" in paths["/caching/books/{book_id}"]["get"]["responses"]
    assert "412" in paths["/caching/books/{book_id}"]["put"]["responses"]
    assert {"412", "428"} <= set(paths["/caching/stock/{book_id}"]["put"]["responses"])
