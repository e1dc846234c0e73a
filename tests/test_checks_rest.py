"""The REST checks pass a server that follows the rules and fail, saying why, one that does not.

One real uvicorn server (tests/fixtures/rest_checks_app) serves a good collection and broken
copies of it, one rule broken per URL prefix.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.app_servers import serve_app
from grader.checks import registry
from grader.context import CheckContext, CheckFailed
from grader.http_helpers import parse_link_header
from grader.wire import Wire

APP = Path(__file__).parent / "fixtures" / "rest_checks_app"
THING = {"name": "${name}"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_app(APP) as base:
        yield base


async def run(url: str, name: str, **params) -> CheckContext:
    """Run registered check `name` against `url`; return its context (raises CheckFailed)."""
    async with Wire(url) as wire:
        ctx = CheckContext(wire, {"name": "Gadget"}, random.Random(0))
        registered = registry.get_check(name)
        await registered.fn(ctx, **registered.validate(params))
        return ctx


async def fails(url: str, name: str, **params) -> CheckFailed:
    with pytest.raises(CheckFailed) as failure:
        await run(url, name, **params)
    return failure.value


def test_every_rest_check_says_what_it_proves_and_which_standard():
    names = ["allow-header", "head-like-get", "pagination-walk", "collection-includes",
             "problem-details", "no-trace"]
    for name in names:
        doc = registry.get_check(name).doc
        assert "Proves" in doc and any(s in doc for s in ("RFC", "OWASP")), name


# --- Link header parsing -------------------------------------------------------------------------


def test_link_header_parsing_handles_several_links_and_quoted_commas():
    value = ('<https://x.test/a?b=1,2>; rel="help", </books?cursor=3>; rel="next last"; '
             'title="a, b", <p3>;rel=prev')
    assert parse_link_header(value) == [
        ("https://x.test/a?b=1,2", {"rel": "help"}),
        ("/books?cursor=3", {"rel": "next last", "title": "a, b"}),
        ("p3", {"rel": "prev"}),
    ]


def test_link_header_parsing_ignores_garbage():
    assert parse_link_header("next page please") == []


# --- allow-header --------------------------------------------------------------------------------


async def test_allow_header_passes_the_exact_set_in_any_order(url):
    await run(url, "allow-header", path="/good/things", method="DELETE",
              allowed=["POST", "GET", "HEAD"])
    await run(url, "allow-header", create_in="/good/things", body=THING, method="PUT",
              allowed=["DELETE", "GET", "HEAD"])


@pytest.mark.parametrize(("mode", "says"), [
    ("allow-missing", "no Allow header"),
    ("allow-partial", "missing HEAD, POST"),
    ("allow-extra", "lists PUT"),
    ("allow-lowercase", "case-sensitive"),
])
async def test_allow_header_fails_a_wrong_set(url, mode, says):
    failure = await fails(url, "allow-header", path=f"/{mode}/things", method="DELETE",
                          allowed=["GET", "HEAD", "POST"])
    assert says in failure.message
    assert failure.expected.startswith("Allow: GET, HEAD, POST")


async def test_allow_header_fails_when_the_method_is_allowed(url):
    failure = await fails(url, "allow-header", path="/good/things", method="GET",
                          allowed=["POST"])
    assert "answered 200" in failure.message and "405" in failure.expected


async def test_optional_methods_may_be_listed(url):
    await run(url, "allow-header", path="/allow-extra/things", method="DELETE",
              allowed=["GET", "HEAD", "POST"], optional=["PUT"])


# --- head-like-get -------------------------------------------------------------------------------


async def test_head_like_get_passes_a_matching_head(url):
    await run(url, "head-like-get", create_in="/good/things", body=THING)


async def test_head_like_get_passes_a_head_without_the_etag_computed_from_the_body(url):
    await run(url, "head-like-get", create_in="/head-no-etag/things", body=THING)


@pytest.mark.parametrize(("mode", "says"), [
    ("head-diff", "x-thing-version"),
    ("head-status", "answered 404"),
    ("head-length", "Content-Length"),
    ("head-etag", "etag"),
])
async def test_head_like_get_fails_a_different_head(url, mode, says):
    failure = await fails(url, "head-like-get", create_in=f"/{mode}/things", body=THING)
    assert says in failure.message


async def test_checks_that_create_say_so_when_creating_fails(url):
    failure = await fails(url, "head-like-get", create_in="/create-200/things", body=THING)
    assert "could not be created" in failure.message and failure.expected == "status 201 Created"
    failure = await fails(url, "head-like-get", create_in="/no-location/things", body=THING)
    assert "without a Location" in failure.message


# --- pagination-walk -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["good", "relative-link"])
async def test_pagination_walk_passes_a_correct_paging(url, mode):
    ctx = await run(url, "pagination-walk", collection=f"/{mode}/things",
                    body={"name": "${name} ${n}"}, count=5, limit=2)
    pages = [e for e in ctx.wire.exchanges if e.request.method == "GET"]
    assert len(pages) >= 3  # 5 items in pages of 2
    assert all("limit=2" in e.request.url for e in pages)


@pytest.mark.parametrize(("mode", "says"), [
    ("page-skip", "never reached"),
    ("no-link", "never reached"),
    ("page-dup", "again on page"),
    ("page-loop", "leads back"),
    ("page-oversize", "more than the limit=2"),
])
async def test_pagination_walk_fails_broken_paging(url, mode, says):
    failure = await fails(url, "pagination-walk", collection=f"/{mode}/things",
                          body={"name": "${name} ${n}"}, count=5, limit=2)
    assert says in failure.message


async def test_pagination_walk_stops_after_max_pages(url):
    failure = await fails(url, "pagination-walk", collection="/good/things",
                          body={"name": "x"}, count=3, limit=1, max_pages=2)
    assert "after 2 pages" in failure.message


# --- collection-includes -------------------------------------------------------------------------


async def test_collection_includes_finds_a_new_item_across_pages(url):
    await run(url, "collection-includes", collection="/good/things", body=THING,
              query={"limit": 1})


async def test_collection_includes_checks_a_filter(url):
    params = dict(query={"status": "open", "limit": 2}, where={"status": "open"},
                  body={"name": "a", "status": "open"},
                  excluded_body={"name": "b", "status": "closed"})
    await run(url, "collection-includes", collection="/good/things", **params)
    failure = await fails(url, "collection-includes", collection="/filter-ignored/things",
                          **params)
    assert "the filter excludes" in failure.message


async def test_collection_includes_fails_when_the_list_is_not_where_it_should_be(url):
    failure = await fails(url, "collection-includes", collection="/good/things", body=THING,
                          items_path="data")
    assert "is not a JSON array" in failure.message


# --- problem-details -----------------------------------------------------------------------------


async def test_problem_details_passes_a_problem(url):
    await run(url, "problem-details", method="GET", path="/good/things/987654",
              statuses=[404])
    await run(url, "problem-details", method="POST", path="/good/things", json={"nom": "x"},
              statuses=[422, 400])


@pytest.mark.parametrize(("mode", "says"), [
    ("plain-errors", "not sent as a problem"),
    ("status-string", "status member"),
    ("no-title", "title member"),
])
async def test_problem_details_fails_a_wrong_problem(url, mode, says):
    failure = await fails(url, "problem-details", method="GET", path=f"/{mode}/things/987654",
                          statuses=[404])
    assert says in failure.message


async def test_problem_details_fails_a_wrong_status(url):
    failure = await fails(url, "problem-details", method="GET", path="/good/things/987654",
                          statuses=[400])
    assert failure.message.endswith("answered 404")


# --- no-trace ------------------------------------------------------------------------------------


async def test_no_trace_passes_a_clean_400(url):
    await run(url, "no-trace", path="/good/things", body='{"name": ')


@pytest.mark.parametrize(("mode", "says"), [
    ("trace", "a Python traceback"),
    ("path-leak", "a file system path"),
])
async def test_no_trace_fails_a_leaky_error(url, mode, says):
    failure = await fails(url, "no-trace", path=f"/{mode}/things", body='{"name": ')
    assert says in failure.message
    assert failure.received.startswith("...")


async def test_no_trace_fails_an_error_that_quotes_part_of_a_value_sent(url):
    body = '{"name": "x", "password": hunter2-${name}}'
    await run(url, "no-trace", path="/good/things", body=body, sent=["hunter2-${name}"])
    failure = await fails(url, "no-trace", path="/echo/things", body=body, sent=["hunter2-${name}"])
    assert "quotes it back" in failure.message and "hunter2-Gadget" in failure.message



async def test_a_list_item_without_an_id_is_a_failed_check_not_a_crash(url):
    failure = await fails(url, "collection-includes", collection="/no-ids/things", body=THING)
    assert "an item on page 1 has no id" in failure.message


async def test_collection_includes_can_create_several_and_find_each_once(url):
    params = dict(body={"name": "item ${n}", "status": "open"}, count=3,
                  query={"status": "open", "limit": 1}, where={"status": "open"})
    await run(url, "collection-includes", collection="/good/things", **params)
    failure = await fails(url, "collection-includes", collection="/page-skip/things", **params)
    assert "0 times" in failure.message
