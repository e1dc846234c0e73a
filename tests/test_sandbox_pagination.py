"""Lists of the sandbox: envelope, Link rel="next" (RFC 8288), filters and sorting."""

from __future__ import annotations

import httpx
import pytest


def follow(client: httpx.Client, path: str, **params) -> tuple[list[dict], int]:
    """Every item reached by following Link rel=next from `path`, and the number of pages."""
    items, pages = [], 0
    response = client.get(path, params=params)
    while True:
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        pages += 1
        if "next" not in response.links:
            assert response.json()["next_cursor"] is None
            return items, pages
        response = client.get(response.links["next"]["url"])


def test_default_page_is_ten_items_with_a_next_link(sandbox_client):
    response = sandbox_client.get("/books")
    body = response.json()
    assert len(body["items"]) == 10
    assert body["next_cursor"]
    assert response.links["next"]["url"].startswith(str(sandbox_client.base_url))


@pytest.mark.parametrize("sort", ["id", "-id", "title", "-year", "price", "-price"])
def test_following_next_visits_every_book_exactly_once(sandbox_client, sort):
    everything = sandbox_client.get("/books", params={"limit": 100}).json()["items"]
    items, pages = follow(sandbox_client, "/books", limit=7, sort=sort)
    assert pages == 6
    assert sorted(b["id"] for b in items) == sorted(b["id"] for b in everything)
    assert len({b["id"] for b in items}) == len(items)
    field = sort.lstrip("-")
    values = [b[field] for b in items]
    assert values == sorted(values, reverse=sort.startswith("-"))


def test_last_page_has_no_next(sandbox_client):
    response = sandbox_client.get("/books", params={"limit": 40})
    assert "link" not in response.headers
    assert response.json()["next_cursor"] is None


def test_next_link_keeps_the_other_query_parameters(sandbox_client):
    response = sandbox_client.get("/books", params={"limit": 2, "sort": "-year", "genre": "x"})
    assert response.json()["items"] == [] and "next" not in response.links
    response = sandbox_client.get("/books", params={"limit": 1, "sort": "title", "author_id": 1})
    next_url = httpx.URL(response.links["next"]["url"])
    assert next_url.params["sort"] == "title"
    assert next_url.params["author_id"] == "1"
    assert next_url.params["limit"] == "1"


def test_filters_combine(sandbox_client):
    books, _ = follow(sandbox_client, "/books", author_id=2, limit=3)
    assert books and all(b["author_id"] == 2 for b in books)
    genre = books[0]["genre"]
    filtered, _ = follow(sandbox_client, "/books", author_id=2, genre=genre)
    assert filtered == [b for b in books if b["genre"] == genre]
    year = books[0]["year"]
    assert all(b["year"] == year for b in follow(sandbox_client, "/books", year=year)[0])


def test_q_searches_titles_case_insensitively(sandbox_client):
    word = sandbox_client.get("/books/1").json()["title"].split()[-1]
    found, _ = follow(sandbox_client, "/books", q=word.upper(), limit=100)
    assert found and all(word.lower() in b["title"].lower() for b in found)


def test_pages_survive_an_insert_before_the_cursor(sandbox_client):
    first = sandbox_client.get("/books", params={"limit": 5})
    sandbox_client.delete("/books/2")  # on the page already read
    second = sandbox_client.get(first.links["next"]["url"]).json()["items"]
    assert [b["id"] for b in second] == [6, 7, 8, 9, 10]


def test_limit_over_100_is_422(sandbox_client):
    response = sandbox_client.get("/books", params={"limit": 101})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["limit"]


def test_limit_zero_is_422(sandbox_client):
    assert sandbox_client.get("/authors", params={"limit": 0}).status_code == 422


def test_unknown_sort_field_names_the_allowed_ones(sandbox_client):
    response = sandbox_client.get("/books", params={"sort": "rating"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "sort"
    assert "'title'" in error["message"] and "'-year'" in error["message"]


def test_a_forged_cursor_is_400(sandbox_client):
    response = sandbox_client.get("/books", params={"cursor": "not-a-cursor!"})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/invalid-cursor"


def test_a_cursor_from_another_sort_is_400(sandbox_client):
    cursor = sandbox_client.get("/books", params={"limit": 2}).json()["next_cursor"]
    response = sandbox_client.get("/books", params={"cursor": cursor, "sort": "title"})
    assert response.status_code == 400
    assert "sort" in response.json()["detail"]


def test_authors_paginate_by_name(sandbox_client):
    items, pages = follow(sandbox_client, "/authors", limit=5, sort="name")
    assert pages == 3 and len(items) == 12
    names = [a["name"] for a in items]
    assert names == sorted(names)
