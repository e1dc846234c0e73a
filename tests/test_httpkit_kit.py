"""httpkit's problems, methods, bodies, cursors and rate limits, on a tiny app of its own."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from httpkit.bodies import JSON_BODIES
from httpkit.cursors import decode_cursor, encode_cursor
from httpkit.handlers import install_problem_handlers, problem_type_router
from httpkit.methods import HeadAsGet, allowed_methods
from httpkit.openapi import install_problem_document
from httpkit.problems import STANDARD, ProblemException, ProblemType, ProblemTypes
from httpkit.ratelimit import RateLimitHeaders, TokenBucketLimiter, spend
from httpkit.status import reason_phrase


class Thing(BaseModel):
    name: str


def tiny_app() -> FastAPI:
    app = FastAPI(dependencies=JSON_BODIES)
    types = STANDARD.copy()
    types.register(ProblemType("out-of-tea", "Out of tea", 503, "Come back later."))
    install_problem_handlers(app, types, server="the tiny app")
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(HeadAsGet)
    app.state.limiter = TokenBucketLimiter(2, 60)
    app.include_router(problem_type_router())

    @app.get("/things/{name}")
    def get_thing(name: str) -> Thing:
        return Thing(name=name)

    @app.put("/things/{name}")
    def put_thing(name: str, thing: Thing) -> Thing:
        return thing

    @app.post("/tea")
    def tea() -> None:
        raise ProblemException(503, "the pot is empty", "out-of-tea", retry="soon")

    @app.get("/limited")
    def limited(request: Request) -> dict[str, bool]:
        spend(request, request.app.state.limiter, "everyone", who="everyone")
        return {"ok": True}

    install_problem_document(app)
    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=tiny_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as client:
        yield client


async def test_a_registered_type_answers_with_its_uri_title_and_extensions(client):
    response = await client.post("/tea")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": "/problems/out-of-tea", "title": "Out of tea",
                               "status": 503, "detail": "the pot is empty", "instance": "/tea",
                               "retry": "soon"}


async def test_each_type_documents_itself_as_json_or_html(client):
    described = await client.get("/problems/out-of-tea")
    assert described.json() == {"type": "/problems/out-of-tea", "title": "Out of tea",
                                "status": 503, "description": "Come back later."}
    page = await client.get("/problems/validation-error", headers={"Accept": "text/html"})
    assert "text/html" in page.headers["content-type"] and "Unprocessable Content" in page.text
    unknown = await client.get("/problems/nope")
    assert unknown.status_code == 404 and "out-of-tea" in unknown.json()["detail"]


def test_a_slug_cannot_be_registered_twice_with_another_meaning():
    types = ProblemTypes([ProblemType("x", "X", 400, "one")])
    with pytest.raises(ValueError, match="already registered"):
        types.register(ProblemType("x", "X", 400, "another"))
    types.register(ProblemType("x", "X", 400, "another"), replace=True)
    assert types.for_status(400).description == "another"


async def test_allow_lists_every_route_of_the_uri_including_undocumented_ones(client):
    wrong = await client.delete("/things/a")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD, PUT, OPTIONS"
    docs = await client.delete("/docs")  # not in the OpenAPI document, still a resource
    assert docs.status_code == 405 and docs.headers["allow"] == "GET, HEAD, OPTIONS"
    options = await client.options("/things/a")
    assert options.status_code == 204 and options.headers["allow"] == "GET, HEAD, PUT, OPTIONS"


async def test_query_is_known_so_405_and_an_unknown_method_is_501(client):
    query = await client.request("QUERY", "/things/a")
    assert query.status_code == 405 and "PUT" in query.headers["allow"]
    brew = await client.request("BREW", "/things/a")
    assert brew.status_code == 501 and brew.json()["type"] == "/problems/not-implemented"


async def test_head_is_get_without_the_body(client):
    get, head = await client.get("/things/a"), await client.head("/things/a")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]


async def test_a_body_must_be_declared_as_json(client):
    plain = await client.put("/things/a", content=b'{"name": "a"}',
                             headers={"content-type": "text/plain"})
    assert plain.status_code == 415 and plain.headers["accept-patch"] == "application/json"
    suffixed = await client.put("/things/a", content=b'{"name": "a"}',
                                headers={"content-type": "application/merge-patch+json"})
    assert suffixed.status_code == 200
    broken = await client.put("/things/a", content=b'{"name": ',
                              headers={"content-type": "application/json"})
    assert broken.status_code == 400 and broken.json()["type"] == "/problems/malformed-json"
    invalid = await client.put("/things/a", json={"name": 3})
    assert invalid.status_code == 422 and invalid.json()["title"] == "Unprocessable Content"
    assert [e["field"] for e in invalid.json()["errors"]] == ["name"]
    bodiless = await client.post("/tea", headers={"content-type": "text/plain"}, content=b"x")
    assert bodiless.status_code == 503  # a route that reads no body does not care


async def test_the_document_types_errors_as_problems(client):
    document = (await client.get("/openapi.json")).json()
    put = document["paths"]["/things/{name}"]["put"]["responses"]
    assert set(put) >= {"200", "400", "415", "422"}
    for status in ("400", "415", "422"):
        assert put[status]["content"] == {"application/problem+json": {
            "schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "HTTPValidationError" not in document["components"]["schemas"]


async def test_rate_limits_are_announced_and_refused_with_retry_after(client):
    answers = [await client.get("/limited") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["ratelimit-policy"] == '"default";q=2;w=60'
    assert answers[0].headers["ratelimit"].startswith('"default";r=1;')
    assert int(answers[2].headers["retry-after"]) >= 1
    assert answers[2].json()["type"] == "/problems/rate-limited"


def test_cursors_are_opaque_and_refused_elsewhere():
    cursor = encode_cursor("/books?sort=id", {"v": 3, "id": 3})
    assert "=" not in cursor and "books" not in cursor
    assert decode_cursor(cursor, "/books?sort=id", {"v": int, "id": int}) == {"v": 3, "id": 3}
    for bad, kind in [(cursor, "/books?sort=title"), ("not-a-cursor!", "/books?sort=id"),
                      (encode_cursor("/books?sort=id", {"v": True, "id": 3}), "/books?sort=id"),
                      (encode_cursor("/books?sort=id", {"v": 2**70, "id": 3}), "/books?sort=id")]:
        with pytest.raises(ProblemException) as refused:
            decode_cursor(bad, kind, {"v": int, "id": int})
        assert refused.value.status == 400 and refused.value.slug == "invalid-cursor"


def test_reason_phrases_are_rfc_9110s():
    assert reason_phrase(422) == "Unprocessable Content"
    assert reason_phrase(413) == "Content Too Large"
    assert reason_phrase(404) == "Not Found"
    assert allowed_methods(tiny_app(), "/nowhere") == []
