"""The versioning and OpenAPI checks pass a server that makes the choices the README allows in
its own way, and fail, saying why, one that breaks a rule.

One real uvicorn server (tests/fixtures/versioning_checks_app) serves a good API and broken
copies of it, one rule broken per first path segment; each check runs with that segment as its
base path, as an exercise that includes another's checks runs them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.app_servers import serve_app
from grader.checks import registry
from grader.checks.openapi_documents import (
    described_properties,
    external_references,
    listed_operations,
)
from grader.context import CheckContext, CheckFailed
from grader.wire import Wire

APP = Path(__file__).parent / "fixtures" / "versioning_checks_app"
V1_BOOK = {"title": "${title}", "author": "Ada"}
V2_BOOK = {"title": "${title}", "authors": ["Ada", "Grace"]}
EVERY_METHOD = [{"method": "GET", "path": "${path}"}, {"method": "HEAD", "path": "${path}"},
                {"method": "GET", "path": "/v1/books"},
                {"method": "PUT", "path": "${path}", "json": V1_BOOK},
                {"method": "PATCH", "path": "${path}", "json": {"title": "x"}},
                {"method": "GET", "path": "/v1/books/999"},
                {"method": "DELETE", "path": "${path}"}]
V2_OPERATIONS = {"/v2/books": ["get", "post"], "/v2/books/{id}": ["get", "put", "patch", "delete"]}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_app(APP) as base:
        yield base


async def run(url: str, variant: str, name: str, **params) -> None:
    async with Wire(url) as wire:
        ctx = CheckContext(wire, {"title": "Dune"}, random.Random(0), base_path=f"/{variant}")
        await registry.get(name)(ctx, **params)


async def fails(url: str, variant: str, name: str, **params) -> CheckFailed:
    with pytest.raises(CheckFailed) as failure:
        await run(url, variant, name, **params)
    return failure.value


def test_every_check_says_what_it_proves_and_which_standard():
    for name in ("deprecation-announced", "not-deprecated", "created-timestamp", "listed-across",
                 "openapi-valid", "openapi-operations", "openapi-describes"):
        doc = registry.get(name).__doc__ or ""
        assert any(s in doc for s in ("RFC", "OpenAPI")), name


async def test_the_allowed_forms_of_the_announcement_pass(url):
    # relative links in two Link fields, rel as a token, one link with two relation types
    await run(url, "good", "deprecation-announced", create_in="/v1/books", body=V1_BOOK,
              requests=EVERY_METHOD)


@pytest.mark.parametrize(("variant", "rule", "said"), [
    ("deprecation-true", "deprecation", "Deprecation is not a structured-field date"),
    ("drifting", "deprecation", "Deprecation differs from one response to another"),
    ("numeric-zone", "sunset", "Sunset is not an HTTP-date in IMF-fixdate form"),
    ("past-sunset", "sunset", "the Sunset date has passed"),
    ("wrong-successor", "links", "does not name the same resource in the new version"),
])
async def test_a_broken_announcement_fails_its_rule_only(url, variant, rule, said):
    failure = await fails(url, variant, "deprecation-announced", create_in="/v1/books",
                          body=V1_BOOK, requests=EVERY_METHOD, rules=[rule])
    assert said in failure.message
    others = [r for r in ("deprecation", "sunset", "links") if r != rule]
    await run(url, variant, "deprecation-announced", create_in="/v1/books", body=V1_BOOK,
              requests=EVERY_METHOD, rules=others)


async def test_a_current_version_that_links_to_a_sunset_is_caught(url):
    requests = [{"method": "GET", "path": "${path}"}]
    await run(url, "good", "not-deprecated", create_in="/v2/books", body=V2_BOOK, requests=requests)
    failure = await fails(url, "sunset-link-on-v2", "not-deprecated", create_in="/v2/books",
                          body=V2_BOOK, requests=requests)
    assert "links to a deprecation and sunset" in failure.message


async def test_creation_times_in_utc_with_a_fraction_pass_and_others_fail(url):
    updates = [{"method": "PATCH", "path": "${path}", "json": {"title": "x"}}]
    params = {"create_in": "/v2/books", "body": V2_BOOK, "field": "added_at", "updates": updates,
              "wait_s": 0.01}
    await run(url, "good", "created-timestamp", **params)
    naive = await fails(url, "naive-time", "created-timestamp", **params)
    assert "not an RFC 3339 date-time in UTC" in naive.message
    reset = await fails(url, "patch-resets-time", "created-timestamp", **{**params, "wait_s": 1.1})
    assert reset.message.startswith("added_at changed after PATCH")


async def test_a_resource_is_listed_by_the_other_version(url):
    await run(url, "good", "listed-across", create_in="/v2/books", body=V2_BOOK,
              collection="/v1/books", shows={"author": "Ada, Grace"})
    failure = await fails(url, "good", "listed-across", create_in="/v2/books", body=V2_BOOK,
                          collection="/v1/books", shows={"author": "Ada"})
    assert 'shows the resource with author = "Ada, Grace"' in failure.message


async def test_every_listed_item_is_in_the_listing_versions_shape(url):
    params = {"create_in": "/v1/books", "body": V1_BOOK, "collection": "/v2/books",
              "shows": {"authors": ["Ada"]}, "each_has": ["authors", "added_at"]}
    await run(url, "good", "listed-across", **params)
    failure = await fails(url, "v1-shaped-list", "listed-across", **params)
    assert "lists an item without authors, added_at" in failure.message
    assert '"author": "Ada"' in failure.received


async def test_a_document_relative_to_its_server_lists_exactly_its_operations(url):
    await run(url, "good", "openapi-valid", path="/v2/openapi.json")
    await run(url, "good", "openapi-operations", path="/v2/openapi.json", operations=V2_OPERATIONS)
    failure = await fails(url, "lists-v1", "openapi-operations", path="/v2/openapi.json",
                          operations=V2_OPERATIONS)
    assert "lists GET /lists-v1/v1/books" in failure.message
    missing = await fails(url, "good", "openapi-operations", path="/v2/openapi.json",
                          operations={**V2_OPERATIONS, "/v2/authors": ["get"]})
    assert "missing GET /good/v2/authors" in missing.message


async def test_an_invalid_document_is_explained_and_an_outside_reference_never_fetched(url):
    duplicate = await fails(url, "duplicate-ids", "openapi-valid", path="/v2/openapi.json")
    assert "not a valid OpenAPI document" in duplicate.message and "get" in (duplicate.received or "")
    outside = await fails(url, "external-ref", "openapi-valid", path="/v2/openapi.json")
    assert outside.received == "$ref: http://169.254.169.254/r"


async def test_a_document_describes_its_own_book(url):
    await run(url, "good", "openapi-describes", documents={
        "/v1/openapi.json": {"properties": ["author"], "absent": ["authors"]},
        "/v2/openapi.json": {"properties": ["authors", "added_at"], "absent": ["author"]}})
    failure = await fails(url, "good", "openapi-describes", documents={
        "/v2/openapi.json": {"properties": ["authors"], "absent": ["added_at"]}})
    assert "describes added_at, which belong to another version" in failure.message


def test_a_book_gathered_with_all_of_has_the_fields_of_its_members():
    # A common hand-written and generated form: the stored book is the input plus what the
    # server adds, and one member is a reference.
    document = {"components": {"schemas": {
        "BookIn": {"type": "object", "properties": {"authors": {}, "page_count": {}}},
        "Book": {"allOf": [{"$ref": "#/components/schemas/BookIn"},
                           {"type": "object", "properties": {"id": {}, "added_at": {}}}]},
        "Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]}}}}
    assert {"authors", "page_count", "id", "added_at"} in described_properties(document)


def test_operations_and_references_are_read_from_the_document_alone():
    document = {"servers": [{"url": "https://api.example/v2/"}], "paths": {
        "/books/{book_id}": {"get": {}, "parameters": [], "summary": "x"}}}
    assert listed_operations(document) == {("/v2/books/{}", "get")}
    assert list(external_references({"a": [{"$ref": "#/x"}, {"$ref": "other.yaml#/y"}]})) == [
        "$ref: other.yaml#/y"]
