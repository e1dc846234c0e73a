"""The caching checks pass a server that follows the rules, in every form the rules allow, and
fail, saying why, one that does not. One small app in a background thread; each URL prefix
serves one resource a different way."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fastapi import FastAPI, Request, Response

from grader.checks import registry
from grader.checks.caching import cache_directives
from grader.context import CheckContext, CheckFailed
from grader.wire import Received, Wire
from tests import hostile_servers as hs

BODY = b'{"title": "Onboarding"}'
ETAG = '"v1"'
CHANGED = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


def resource_app() -> FastAPI:
    """GET /{style}/page: one page, served in the way `style` names."""
    app = FastAPI()

    @app.get("/{style}/page")
    async def page(style: str, request: Request) -> Response:
        etag = 'W/"v1"' if style == "weak" else ETAG
        headers = {"ETag": etag, "Cache-Control": "no-cache",
                   "Last-Modified": format_datetime(CHANGED, usegmt=True)}
        if style == "expires":  # recomputed per response, as many servers do
            headers["Expires"] = format_datetime(datetime.now(UTC), usegmt=True)
        if style == "mixed-case":
            headers["Cache-Control"] = 'No-Cache, Private="Set-Cookie"'
        if style == "no-store":
            headers["Cache-Control"] = "no-cache, no-store"
        if style == "qualified":  # revalidate Set-Cookie alone; reuse the rest for an hour
            headers["Cache-Control"] = 'max-age=3600, no-cache="Set-Cookie, Age"'
        if style == "mail-date":
            headers["Last-Modified"] = format_datetime(CHANGED)  # "... +0000", not GMT
        if style == "wrong-day":  # the layout right, the day name another day's
            headers["Last-Modified"] = format_datetime(CHANGED, usegmt=True).replace(
                format_datetime(CHANGED, usegmt=True)[:3], "Sun" if CHANGED.weekday() != 6 else "Mon")
        if style == "future":
            headers["Last-Modified"] = format_datetime(datetime.now(UTC) + timedelta(days=1),
                                                       usegmt=True)
        wanted = request.headers.get("if-none-match", "")
        if wanted and wanted.removeprefix("W/") == etag.removeprefix("W/"):
            if style == "lost-cache-control":
                del headers["Cache-Control"]
            return Response(status_code=304, headers=headers)
        return Response(BODY, media_type="application/json", headers=headers)

    return app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with hs.serve_app(resource_app()) as base:
        yield base


async def run(url: str, name: str, **params) -> CheckContext:
    async with Wire(url) as wire:
        ctx = CheckContext(wire, {}, random.Random(0))
        await registry.get(name)(ctx, **params)
        return ctx


async def fails(url: str, name: str, **params) -> CheckFailed:
    with pytest.raises(CheckFailed) as failure:
        await run(url, name, **params)
    return failure.value


def test_every_caching_check_says_what_it_proves_and_which_standard():
    for name in ("not-modified", "validator-changes", "http-date", "cache-control",
                 "collection-etag", "weak-form", "last-modified-moves"):
        doc = registry.get(name).__doc__ or ""
        assert "Proves" in doc and "RFC" in doc, name


def test_cache_control_directives_are_parsed_case_insensitively_across_fields():
    import httpx

    headers = httpx.Headers([("Cache-Control", 'No-Cache, private="Set-Cookie"'),
                             ("cache-control", "MAX-AGE=0")])
    response = Received(200, "OK", "HTTP/1.1", headers, b"", False, "http://x/")
    assert cache_directives(response) == {"no-cache": None, "private": "Set-Cookie",
                                          "max-age": "0"}


def test_a_quoted_argument_keeps_its_commas_and_a_member_that_is_no_directive_is_skipped():
    import httpx

    headers = httpx.Headers([("Cache-Control", 'no-cache="Set-Cookie, Age", =junk, max-age=60')])
    response = Received(200, "OK", "HTTP/1.1", headers, b"", False, "http://x/")
    assert cache_directives(response) == {"no-cache": "Set-Cookie, Age", "max-age": "60"}


async def test_a_clean_304_passes_even_with_a_recomputed_expires(url):
    await run(url, "not-modified", path="/good/page")
    await run(url, "not-modified", path="/expires/page")


async def test_a_304_that_drops_cache_control_fails(url):
    failure = await fails(url, "not-modified", path="/lost-cache-control/page")
    assert "cache-control differs" in failure.message
    assert failure.received == "no cache-control header"


async def test_cache_control_allows_other_directives_and_any_case(url):
    await run(url, "cache-control", path="/mixed-case/page", required=["no-cache"],
              forbidden=["no-store"])


async def test_cache_control_with_a_forbidden_directive_fails(url):
    failure = await fails(url, "cache-control", path="/no-store/page", required=["no-cache"],
                          forbidden=["no-store"])
    assert failure.message == "the 200's Cache-Control has no-store"


async def test_a_no_cache_for_some_fields_only_is_not_the_policy(url):
    # RFC 9111 §5.2.2.4: a qualified no-cache lets a cache reuse the response, all but the
    # fields it names, without asking: here for an hour.
    failure = await fails(url, "cache-control", path="/qualified/page", required=["no-cache"],
                          forbidden=["no-store"])
    assert failure.message == ("the 200's Cache-Control has no-cache only for the fields "
                               "Set-Cookie, Age, which leaves the rest of the response free of it")


async def test_an_http_date_must_be_gmt_and_not_in_the_future(url):
    await run(url, "http-date", path="/good/page")
    assert "not an HTTP date" in (await fails(url, "http-date", path="/mail-date/page")).message
    assert "with the day name of its date" in (await fails(url, "http-date", path="/wrong-day/page")).message
    assert "in the future" in (await fails(url, "http-date", path="/future/page")).message


async def test_the_weak_form_of_a_weak_tag_is_not_weakened_twice(url):
    ctx = await run(url, "weak-form", path="/weak/page", status=304,
                    requests=[{"method": "GET", "headers": {"If-None-Match": "${weak_etag}"}}])
    assert ctx.vars["weak_etag"] == 'W/"v1"'
    ctx = await run(url, "weak-form", path="/good/page", status=304,
                    requests=[{"method": "GET", "headers": {"If-None-Match": "${weak_etag}"}}])
    assert ctx.vars["weak_etag"] == 'W/"v1"'
