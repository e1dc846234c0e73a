"""The sandbox's /books and /authors resources over real HTTP: CRUD with RFC 9110 semantics."""

from __future__ import annotations

import httpx

NEW_BOOK = {
    "title": "A Test of Patience",
    "author_id": 1,
    "year": 2020,
    "isbn": "9780306406157",
    "price": 19.5,
    "genre": "mystery",
    "tags": ["debut"],
}


def test_health(sandbox_url):
    assert httpx.get(f"{sandbox_url}/health", trust_env=False).json() == {"status": "ok"}


def test_get_one_book(sandbox_client):
    response = sandbox_client.get("/books/1")
    assert response.status_code == 200
    book = response.json()
    assert book["id"] == 1
    assert set(book) == {"id", "title", "author_id", "year", "isbn", "price", "genre", "tags"}


def test_post_answers_201_with_a_location_that_resolves(sandbox_client):
    response = sandbox_client.post("/books", json=NEW_BOOK)
    assert response.status_code == 201
    created = response.json()
    assert created == {**NEW_BOOK, "id": created["id"]}
    location = response.headers["location"]
    assert location.endswith(f"/books/{created['id']}")
    fetched = httpx.get(location, trust_env=False)  # absolute: usable as is
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_put_replaces_the_whole_book(sandbox_client):
    replacement = {**NEW_BOOK, "tags": []}
    response = sandbox_client.put("/books/2", json=replacement)
    assert response.status_code == 200
    assert response.json() == {**replacement, "id": 2}
    assert sandbox_client.get("/books/2").json() == {**replacement, "id": 2}


def test_put_without_every_field_is_rejected(sandbox_client):
    response = sandbox_client.put("/books/2", json={"title": "Only a title"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} >= {"author_id", "isbn", "price"}


def test_patch_changes_only_the_given_fields(sandbox_client):
    before = sandbox_client.get("/books/3").json()
    response = sandbox_client.patch("/books/3", json={"price": 1.25})
    assert response.status_code == 200
    assert response.json() == {**before, "price": 1.25}


def test_patch_refuses_null_for_a_required_field(sandbox_client):
    response = sandbox_client.patch("/books/3", json={"title": None})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["title"]


def test_delete_answers_204_with_an_empty_body_then_404(sandbox_client):
    response = sandbox_client.delete("/books/4")
    assert response.status_code == 204
    assert response.content == b""
    assert sandbox_client.get("/books/4").status_code == 404
    assert sandbox_client.delete("/books/4").status_code == 404  # idempotent in effect


def test_ids_of_deleted_books_are_not_reused(sandbox_client):
    sandbox_client.delete("/books/40")
    created = sandbox_client.post("/books", json=NEW_BOOK).json()
    assert created["id"] == 41


def test_duplicate_isbn_is_a_conflict(sandbox_client):
    isbn = sandbox_client.get("/books/1").json()["isbn"]
    response = sandbox_client.post("/books", json={**NEW_BOOK, "isbn": isbn})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_author_is_named_in_errors(sandbox_client):
    response = sandbox_client.post("/books", json={**NEW_BOOK, "author_id": 999})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["author_id"]


def test_head_has_the_headers_of_get_and_no_body(sandbox_client):
    for path in ("/books/1", "/books?limit=2", "/health"):
        get = sandbox_client.get(path)
        head = sandbox_client.head(path)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        for name in ("content-type", "content-length", "link"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)


def test_head_on_a_missing_book_is_404_without_body(sandbox_client):
    response = sandbox_client.head("/books/999")
    assert response.status_code == 404
    assert response.content == b""


def test_author_crud(sandbox_client):
    created = sandbox_client.post("/authors", json={"name": "Test Author", "country": "NO"})
    assert created.status_code == 201
    author_url = created.headers["location"]
    assert httpx.get(author_url, trust_env=False).json()["name"] == "Test Author"
    patched = httpx.patch(author_url, json={"born": 1970}).json()
    assert patched["born"] == 1970 and patched["country"] == "NO"
    replaced = httpx.put(author_url, json={"name": "Renamed"}).json()
    assert replaced["country"] is None and replaced["born"] is None
    assert httpx.delete(author_url).status_code == 204
    assert httpx.get(author_url, trust_env=False).status_code == 404


def test_an_author_with_books_cannot_be_deleted(sandbox_client):
    response = sandbox_client.delete("/authors/1")
    assert response.status_code == 409
    assert "book" in response.json()["detail"]
    assert sandbox_client.get("/authors/1").status_code == 200


def test_reset_restores_the_seed_data(sandbox_client):
    original = sandbox_client.get("/books", params={"limit": 100}).json()["items"]
    sandbox_client.delete("/books/1")
    sandbox_client.patch("/books/2", json={"title": "Changed"})
    sandbox_client.post("/books", json=NEW_BOOK)
    assert sandbox_client.post("/admin/reset").status_code == 204
    assert sandbox_client.get("/books", params={"limit": 100}).json()["items"] == original
    assert sandbox_client.post("/books", json=NEW_BOOK).json()["id"] == 41


def test_seed_data_has_a_realistic_size(sandbox_client):
    books = sandbox_client.get("/books", params={"limit": 100}).json()["items"]
    authors = sandbox_client.get("/authors", params={"limit": 100}).json()["items"]
    assert len(books) == 40 and len(authors) == 12
    assert len({b["isbn"] for b in books}) == 40


def test_openapi_and_docs_are_served(sandbox_client):
    schema = sandbox_client.get("/openapi.json").json()
    assert {"/books", "/books/{book_id}", "/authors", "/admin/reset"} <= set(schema["paths"])
    assert schema["paths"]["/books"]["post"]["operationId"] == "create_book"
    docs = sandbox_client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]


def test_problem_types_document_themselves(sandbox_client):
    problem = sandbox_client.get("/books/999").json()
    page = sandbox_client.get(problem["type"])
    assert page.status_code == 200
    assert problem["title"] in page.text


def test_requests_during_a_reset_see_old_or_new_data_never_an_error(sandbox_url):
    import threading

    import httpx

    statuses: list[int] = []

    def read() -> None:
        with httpx.Client(base_url=sandbox_url, timeout=10, trust_env=False) as client:
            statuses.extend(client.get("/books?limit=5").status_code for _ in range(60))

    reader = threading.Thread(target=read)
    reader.start()
    with httpx.Client(base_url=sandbox_url, timeout=10, trust_env=False) as client:
        for _ in range(15):
            assert client.post("/admin/reset").status_code == 204
    reader.join()
    assert set(statuses) == {200}
