"""Lesson 3's sandbox feature, in process: one catalogue served as /v1 and /v2, v1 announcing its
deprecation on every answer, a retired /v0, a resource versioned by media type, and a document
per version. Lesson 1's /books is never touched by any of it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest
from openapi_spec_validator import validate

from sandbox_api.app import create_app

NEW_V1 = {"title": "Versions Apart", "author_id": 2, "year": 2021, "isbn": "9780306406157",
          "price": 21.5, "genre": "science"}
NEW_V2 = {"title": "Two Hands", "author_ids": [3, 4], "year": 2022, "isbn": "9781861972712",
          "price": {"amount": 1999, "currency": "EUR"}, "category": "poetry"}
CO_AUTHORED = 5  # every fifth seeded book has a co-author


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


async def test_one_book_two_shapes(api):
    v1 = (await api.get(f"/v1/books/{CO_AUTHORED}")).json()
    v2 = (await api.get(f"/v2/books/{CO_AUTHORED}")).json()
    assert list(v1) == ["id", "title", "author_id", "year", "isbn", "price", "genre", "tags", "added"]
    assert list(v2) == ["id", "title", "author_ids", "year", "isbn", "price", "category", "tags",
                        "added_at"]
    assert v1["id"] == v2["id"] and v1["title"] == v2["title"]
    assert len(v2["author_ids"]) == 2 and v1["author_id"] == v2["author_ids"][0]
    assert v2["price"] == {"amount": round(v1["price"] * 100), "currency": "EUR"}
    assert v2["category"] == v1["genre"]
    added_at = datetime.fromisoformat(v2["added_at"].replace("Z", "+00:00"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v2["added_at"])
    assert added_at.timestamp() == v1["added"]


async def test_a_book_written_through_either_version_reads_in_the_other(api):
    made_in_v1 = await api.post("/v1/books", json=NEW_V1)
    assert made_in_v1.status_code == 201
    assert made_in_v1.headers["location"].endswith(f"/v1/books/{made_in_v1.json()['id']}")
    seen_in_v2 = (await api.get(f"/v2/books/{made_in_v1.json()['id']}")).json()
    assert seen_in_v2["author_ids"] == [2] and seen_in_v2["price"]["amount"] == 2150
    assert abs(datetime.fromisoformat(seen_in_v2["added_at"]).timestamp()
               - datetime.now(UTC).timestamp()) < 60

    made_in_v2 = await api.post("/v2/books", json=NEW_V2)
    assert made_in_v2.status_code == 201
    seen_in_v1 = (await api.get(f"/v1/books/{made_in_v2.json()['id']}")).json()
    assert seen_in_v1["author_id"] == 3 and seen_in_v1["price"] == 19.99
    assert seen_in_v1["genre"] == "poetry"


async def test_a_v1_write_keeps_what_v1_cannot_show(api):
    url = f"/books/{CO_AUTHORED}"
    authors = (await api.get(f"/v2{url}")).json()["author_ids"]
    first = authors[0]
    assert (await api.patch(f"/v1{url}", json={"price": 9.5})).status_code == 200
    assert (await api.patch(f"/v1{url}", json={"author_id": first})).status_code == 200
    assert (await api.get(f"/v2{url}")).json()["author_ids"] == authors
    other = 12 if first != 12 else 11
    assert (await api.patch(f"/v1{url}", json={"author_id": other})).json()["author_id"] == other
    assert (await api.get(f"/v2{url}")).json()["author_ids"] == [other]


async def test_an_unknown_author_is_refused_in_both_versions(api):
    for path, body, field in (("/v1/books", {**NEW_V1, "author_id": 99}, "author_id"),
                              ("/v2/books", {**NEW_V2, "author_ids": [1, 99]}, "author_ids")):
        response = await api.post(path, json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field


async def test_every_v1_answer_announces_the_deprecation(api):
    created = await api.post("/v1/books", json=NEW_V1)
    book = created.json()["id"]
    answers = [
        created,
        await api.get("/v1/books?limit=2"),
        await api.head(f"/v1/books/{book}"),
        await api.patch(f"/v1/books/{book}", json={"title": ""}),  # 422
        await api.put(f"/v1/books/{book}", json=NEW_V1),  # 405
        await api.get("/v1/books/999999"),  # 404
        await api.get("/v1/openapi.json"),
        await api.delete(f"/v1/books/{book}"),
    ]
    assert [a.status_code for a in answers] == [201, 200, 200, 422, 405, 404, 200, 204]
    for answer in answers:
        assert re.fullmatch(r"@\d+", answer.headers["deprecation"])
        deprecated = datetime.fromtimestamp(int(answer.headers["deprecation"][1:]), UTC)
        sunset = parsedate_to_datetime(answer.headers["sunset"])
        assert answer.headers["sunset"].endswith(" GMT") and sunset > deprecated
        assert {"deprecation", "sunset", "successor-version"} <= set(answer.links)
    successor = answers[1].links["successor-version"]["url"]
    assert successor == "http://sandbox/v2/books?limit=2"
    assert answers[1].links["next"]["url"].startswith("http://sandbox/v1/books?limit=2&cursor=")
    guide = await api.get(answers[0].links["deprecation"]["url"])
    assert guide.status_code == 200 and {c["kind"] for c in guide.json()["changes"]} == {
        "breaking", "non-breaking"}
    policy = (await api.get(answers[0].links["sunset"]["url"])).json()
    v1 = next(v for v in policy["versions"] if v["version"] == "v1")
    assert parsedate_to_datetime(answers[0].headers["sunset"]) == datetime.fromisoformat(v1["sunset_at"])


async def test_v2_and_lesson_1_announce_nothing(api):
    for path in ("/v2/books", "/v2/books/1", "/v2/books/999999", "/books/1", "/v2/openapi.json"):
        answer = await api.get(path)
        assert "deprecation" not in answer.headers and "sunset" not in answer.headers, path


async def test_v0_is_gone_for_every_method_and_says_where_to_go(api):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        for path in ("/v0", "/v0/books", "/v0/books/1"):
            answer = await api.request(method, path)
            assert answer.status_code == 410, (method, path)
            assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "/problems/version-retired" and problem["status"] == 410
    guide = await api.get(problem["migration_guide"])
    assert guide.status_code == 200 and guide.json()["successor"] == "v2"
    assert answer.links["help"]["url"] == problem["migration_guide"]


@pytest.mark.parametrize(("accept", "served"), [
    (None, "1"),
    ("application/json", "1"),
    ("*/*", "1"),
    ("application/vnd.apilab.book+json", "1"),
    ("application/vnd.apilab.book+json; version=2", "2"),
    ('application/vnd.apilab.book+json;version="1"', "1"),
    ("application/vnd.apilab.book+json; version=2; q=0.5, application/vnd.apilab.book+json; "
     "version=1", "1"),
    ("application/vnd.apilab.book+json; version=3, application/vnd.apilab.book+json; version=2;"
     "q=0.2", "2"),
])
async def test_the_media_type_names_the_version(api, accept, served):
    headers = {"Accept": accept} if accept else {}
    answer = await api.get("/catalog/books/1", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == f"application/vnd.apilab.book+json; version={served}"
    assert answer.headers["vary"] == "Accept"
    assert ("author_ids" in answer.json()) == (served == "2")


@pytest.mark.parametrize("accept", ["application/vnd.apilab.book+json; version=3",
                                    "application/xml",
                                    "application/vnd.apilab.book+json; version=2; q=0"])
async def test_a_version_it_does_not_have_is_406(api, accept):
    answer = await api.get("/catalog/books/1", headers={"Accept": accept})
    assert answer.status_code == 406 and answer.headers["vary"] == "Accept"
    assert answer.json()["available"] == ["application/vnd.apilab.book+json; version=1",
                                          "application/vnd.apilab.book+json; version=2"]


async def test_an_unknown_book_by_media_type_is_404_and_varies_too(api):
    answer = await api.get("/catalog/books/999999",
                           headers={"Accept": "application/vnd.apilab.book+json; version=2"})
    assert answer.status_code == 404 and answer.headers["vary"] == "Accept"


async def test_each_version_documents_exactly_its_operations(api):
    for version in ("v1", "v2"):
        document = (await api.get(f"/{version}/openapi.json")).json()
        validate(document)
        operations = {(method, path) for path, item in document["paths"].items() for method in item}
        assert operations == {("get", f"/{version}/books"), ("post", f"/{version}/books"),
                              ("get", f"/{version}/books/{{book_id}}"),
                              ("patch", f"/{version}/books/{{book_id}}"),
                              ("delete", f"/{version}/books/{{book_id}}")}
        flags = {op.get("deprecated", False) for item in document["paths"].values()
                 for op in item.values()}
        assert flags == {version == "v1"}
    whole = (await api.get("/openapi.json")).json()
    assert not any(path.startswith("/v0") for path in whole["paths"])  # retired: undocumented


async def test_lesson_1_books_never_see_the_catalogue_writes(api):
    before = (await api.get("/books?limit=100")).json()
    await api.post("/v1/books", json=NEW_V1)
    await api.delete("/v2/books/1")
    assert (await api.get("/books?limit=100")).json() == before
