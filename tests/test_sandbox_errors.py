"""Every error of the sandbox is an RFC 9457 problem, over real HTTP and in-process."""

from __future__ import annotations

import httpx
import pytest

from sandbox_api.app import create_app
from sandbox_api.settings import SandboxSettings

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert isinstance(body["title"], str) and body["title"]
    return body


def test_missing_book_is_a_404_problem(sandbox_client):
    body = assert_problem(sandbox_client.get("/books/999"), 404)
    assert body["instance"] == "/books/999"
    assert "999" in body["detail"]


def test_unknown_route_is_a_404_problem(sandbox_client):
    body = assert_problem(sandbox_client.get("/no/such/thing"), 404)
    assert "/docs" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/books", "GET, HEAD, POST, OPTIONS"),
        ("DELETE", "/authors", "GET, HEAD, POST, OPTIONS"),
        ("POST", "/books/1", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"),
        ("GET", "/admin/reset", "POST, OPTIONS"),
        ("DELETE", "/health", "GET, HEAD, OPTIONS"),
    ],
)
def test_405_lists_every_supported_method_in_allow(sandbox_client, method, path, allow):
    response = sandbox_client.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == allow


def test_options_answers_with_allow(sandbox_client):
    response = sandbox_client.options("/books/1")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_415(sandbox_client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = sandbox_client.post("/books", content=b'{"title": "x"}', headers=headers)
    assert_problem(response, 415)


def test_415_also_guards_put_and_patch(sandbox_client):
    for method in ("PUT", "PATCH"):
        response = sandbox_client.request(
            method, "/books/1", content=b"title=x", headers={"content-type": "text/plain"}
        )
        assert_problem(response, 415)


def test_json_with_a_suffix_type_is_accepted(sandbox_client):
    response = sandbox_client.patch(
        "/books/1",
        content=b'{"price": 3}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    assert response.json()["price"] == 3


def test_malformed_json_is_400_without_a_stack_trace(sandbox_client):
    response = sandbox_client.post(
        "/books", content=b'{"title": "x",', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert "Traceback" not in response.text and ".py" not in response.text
    assert body["type"] == "/problems/malformed-json"


def test_validation_error_is_422_naming_each_field(sandbox_client):
    response = sandbox_client.post("/books", json={"title": "", "year": "soon", "price": -1})
    body = assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"title", "year", "price", "author_id", "isbn", "genre"} <= fields
    assert all(e["location"] == "body" and e["message"] for e in body["errors"])


def test_unknown_fields_are_rejected(sandbox_client):
    response = sandbox_client.patch("/books/1", json={"rating": 5})
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["rating"]


@pytest.mark.parametrize("collection", ["/books", "/authors"])
@pytest.mark.parametrize("segment", ["abc", "07", "-1", "0", "1.0", "99999999999999999999999"])
def test_an_id_that_is_not_ours_is_simply_not_found(sandbox_client, collection, segment):
    # ids are opaque: a segment the API never issued names nothing, for every method
    body = {"name": "X"} if collection == "/authors" else {"price": 1}
    for method in ("GET", "HEAD", "PUT", "PATCH", "DELETE"):
        response = sandbox_client.request(method, f"{collection}/{segment}",
                                          json=body if method in ("PUT", "PATCH") else None)
        assert response.status_code == 404, (method, response.text)
        if method != "HEAD":
            assert_problem(response, 404)


def test_the_document_says_unknown_ids_are_404_not_422(sandbox_client):
    paths = sandbox_client.get("/openapi.json").json()["paths"]
    for path in ("/books/{book_id}", "/authors/{author_id}"):
        for method, operation in paths[path].items():
            (parameter,) = [p for p in operation["parameters"] if p["in"] == "path"]
            assert parameter["schema"]["type"] == "string", (method, path)
            assert "404" in operation["responses"], (method, path)


async def test_a_crash_is_a_500_problem_without_details(tmp_path):
    app = create_app(SandboxSettings(db_path=tmp_path / "db.sqlite"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.get("/boom")
    body = assert_problem(response, 500)
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["instance"] == "/boom"


async def test_problem_shape_in_process(tmp_path):
    app = create_app(SandboxSettings(db_path=tmp_path / "db.sqlite", seed=7))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        assert_problem(await client.get("/authors/0"), 404)
        assert_problem(await client.put("/authors"), 405)
