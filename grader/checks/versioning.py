"""Registered checks for versioning and deprecation (lesson 3).

A deprecated version announces itself on every response (RFC 9745 `Deprecation`, RFC 8594
`Sunset`, RFC 8288 links to the deprecation notes, the sunset policy and the RFC 5829
successor); a current version announces none of it; a server-set timestamp is RFC 3339 and
never changes; two versions over one set of data list the same resources. Requests are given as
data (`requests = [{method, path, json}]`), so one check covers every method that could break
its rule; `${url}`, `${path}` and `${id}` name the resource the check created first, if it
creates one.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NotRequired
from urllib.parse import urljoin, urlsplit

from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from apilab.catalog.models import SingularJsonPath
from grader.checks.registry import check
from grader.context import NO_BODY, CheckContext
from grader.field_values import imf_fixdate, rfc3339_utc, sf_date
from grader.http_helpers import create, id_of, key, link_to, links, walk
from grader.matchers import MISSING, show, value_at
from grader.wire import Received

# Clocks of the grader and the server may differ a little, even on one machine.
CLOCK_SKEW = timedelta(seconds=60)
ANNOUNCING_RELATIONS = ("deprecation", "sunset", "successor-version")
SECOND_MARGIN = 0.05  # s past a whole second, for a server's clock a little behind this one
Rule = Literal["present", "deprecation", "sunset", "links"]


class RequestSpec(TypedDict):
    method: str
    path: str
    json: NotRequired[Any]
    body: NotRequired[str]
    headers: NotRequired[dict[str, str]]


# --- what a response says -----------------------------------------------------------------------


def _one_field(ctx: CheckContext, response: Received, name: str, label: str) -> str:
    values = response.headers.get_list(name)
    ctx.expect(bool(values), f"{label} has no {name} header",
               expected=f"a {name} header", received=f"no {name} header")
    ctx.expect(len(values) == 1, f"{label} has {len(values)} {name} fields: the value must be one",
               expected=f"one {name} field", received="; ".join(values))
    return values[0]


# --- the checks ---------------------------------------------------------------------------------


async def created(ctx: CheckContext, create_in: str, body: Any,
                  id_field: SingularJsonPath = "id") -> tuple[Received, Any]:
    """Create the resource a check works on; its URL, path and id become `${url}`, `${path}` and
    `${id}` for the requests the check is given."""
    response, document = await create(ctx, create_in, body)
    location = response.headers.get("location")
    with ctx.preparing(f"finding the resource it created (POST {ctx.fill(create_in)})"):
        ctx.expect(bool(location), "the 201 has no Location header, so the new resource cannot be "
                   "found", expected="a Location header", received="none")
        ctx.vars["id"] = id_of(ctx, document, id_field, "the created resource")
    ctx.vars["url"] = urljoin(response.url, location)
    ctx.vars["path"] = urlsplit(ctx.vars["url"]).path
    return response, document


async def _exchanges(ctx: CheckContext, create_in: str | None, body: Any,
                     requests: Sequence[RequestSpec]) -> AsyncIterator[tuple[str, str, Received]]:
    """Create the resource (when asked), then send each request, yielding (method, request line,
    response) of each before sending the next, so that a check can follow a link of one
    response before a later request (a DELETE) changes what it leads to."""
    if create_in is not None:
        response, _document = await created(ctx, create_in, body)
        yield "POST", f"POST {ctx.based(ctx.fill(create_in))}", response
    for spec in requests:
        label, response = await send(ctx, spec)
        yield spec["method"].upper(), label, response


async def send(ctx: CheckContext, spec: RequestSpec) -> tuple[str, Received]:
    """Send one request given as data; (its request line, the response). A path written from the
    root goes under the check's base path; one that is a placeholder (`${path}`, a URL the server
    gave) is used as it is, as in declarative steps."""
    written = spec["path"].startswith("/")
    path = ctx.fill(spec["path"])
    path = ctx.based(path) if written else path
    method = spec["method"].upper()
    json_body = ctx.fill(spec["json"]) if "json" in spec else NO_BODY
    response = await ctx.request(method, path, json_body=json_body, body=ctx.fill(spec.get("body")),
                                 headers=ctx.fill(spec.get("headers", {})), based=False)
    return f"{method} {path}", response


@check("deprecation-announced")
async def deprecation_announced(
    ctx: CheckContext,
    *,
    requests: Sequence[RequestSpec],
    rules: Sequence[Rule] = ("deprecation", "sunset", "links"),
    create_in: str | None = None,
    body: Any = None,
    old_prefix: str = "/v1",
    new_prefix: str = "/v2",
    again: RequestSpec | None = None,
) -> None:
    """Every response of a deprecated version announces it, whatever the method and status.

    `present`: `Deprecation`, `Sunset` and links with rel deprecation, sunset and
    successor-version are there, each field once, whatever their format; with the values the
    other rules check, they are the same on every response (an error says what a success says).
    `deprecation`: one `Deprecation` field, an RFC 9651 sf-date (`@` and seconds, RFC 9745 §2),
    not in the future, the same on every response. `sunset`: one `Sunset` field, an IMF-fixdate
    (RFC 8594 §3, RFC 9110 §5.6.7), in the future, not before the deprecation, the same on every
    response. `links`: Link (RFC 8288) with rel="deprecation" (RFC 9745 §3), rel="sunset" (RFC
    8594 §6) and rel="successor-version" (RFC 5829) naming the same path under `new_prefix`,
    which answers 200 where the request did.

    With `again`, that request is sent last, once the second in which the first answer came
    has passed: a value computed from the clock at each response (a Sunset of "now plus six
    months", to the second) then differs, which answers within one second would not show.
    """
    now = datetime.now(UTC)
    seen: dict[str, set[str]] = {"deprecation": set(), "sunset": set()}

    async def exchanges() -> AsyncIterator[tuple[str, str, Received]]:
        first_answer = None  # when it came, on the clock HTTP-dates are written from
        async for exchange in _exchanges(ctx, create_in, body, requests):
            first_answer = first_answer or time.time()
            yield exchange
        if again is not None:
            next_second = math.floor(first_answer or time.time()) + 1 + SECOND_MARGIN
            await asyncio.sleep(max(0.0, next_second - time.time()))
            label, response = await send(ctx, again)
            yield again["method"].upper(), f"{label}, in a later second than the first", response

    async for method, label, response in exchanges():
        if "present" in rules:
            _present(ctx, response, label, seen)
        if "deprecation" in rules:
            value = _one_field(ctx, response, "Deprecation", label)
            deprecated_at = sf_date(value)
            ctx.expect(deprecated_at is not None, f"{label}: Deprecation is not a structured-field "
                       "date (RFC 9745 §2)", expected="Deprecation: @<seconds since 1970>, such as "
                       "@1782864000", received=f"Deprecation: {value}")
            assert deprecated_at is not None
            ctx.expect(deprecated_at <= now + CLOCK_SKEW, f"{label}: the Deprecation date is in the "
                       "future, but this version is deprecated already (README)",
                       expected="a moment not after now", received=f"Deprecation: {value} "
                       f"({deprecated_at:%Y-%m-%d %H:%M:%S} UTC)")
            seen["deprecation"].add(value.strip())
        if "sunset" in rules:
            _sunset(ctx, response, label, now, seen["sunset"])
        if "links" in rules:
            await _links(ctx, response, method, label, old_prefix, new_prefix)
    for name, values in seen.items():
        ctx.expect(len(values) <= 1, f"{name.title()} differs from one response to another",
                   expected=f"the same {name.title()} on every response",
                   received=", ".join(sorted(values)))


def _present(ctx: CheckContext, response: Received, label: str, seen: dict[str, set[str]]) -> None:
    for name in ("Deprecation", "Sunset"):
        seen[name.lower()].add(_one_field(ctx, response, name, label).strip())
    shown = "; ".join(response.headers.get_list("link")) or "no Link header"
    for relation in ANNOUNCING_RELATIONS:
        ctx.expect(link_to(response, relation) is not None, f"{label}: no link with "
                   f'rel="{relation}"', expected=f'Link: <...>; rel="{relation}"', received=shown)


def _sunset(ctx: CheckContext, response: Received, label: str, now: datetime,
            seen: set[str]) -> None:
    value = _one_field(ctx, response, "Sunset", label)
    sunset = imf_fixdate(value)
    ctx.expect(sunset is not None, f"{label}: Sunset is not an HTTP-date in IMF-fixdate form "
               "(RFC 8594 §3, RFC 9110 §5.6.7)", expected="Sunset: Fri, 31 Dec 2027 23:59:59 GMT "
               "(that layout, the day name matching the date, GMT)", received=f"Sunset: {value}")
    assert sunset is not None
    ctx.expect(sunset > now, f"{label}: the Sunset date has passed, yet the version still answers",
               expected="a moment in the future", received=f"Sunset: {value}")
    deprecated_at = sf_date(response.headers.get("deprecation", ""))
    if deprecated_at is not None:
        ctx.expect(sunset >= deprecated_at, f"{label}: Sunset is earlier than Deprecation",
                   expected="a sunset after the deprecation",
                   received=f"Deprecation: {response.headers['deprecation']}, Sunset: {value}")
    seen.add(value.strip())


async def _links(ctx: CheckContext, response: Received, method: str, label: str,
                 old_prefix: str, new_prefix: str) -> None:
    shown = "; ".join(response.headers.get_list("link")) or "no Link header"
    for relation in ANNOUNCING_RELATIONS:
        ctx.expect(link_to(response, relation) is not None, f"{label}: no link with "
                   f'rel="{relation}"', expected=f'Link: <...>; rel="{relation}"', received=shown)
    successor = link_to(response, "successor-version") or ""
    request_path = urlsplit(response.url).path
    wanted = ctx.based(new_prefix) + request_path.removeprefix(ctx.based(old_prefix))
    ctx.expect(urlsplit(successor).path == wanted, f"{label}: the successor-version link does not "
               "name the same resource in the new version", expected=f"<{wanted}>; "
               'rel="successor-version"', received=f"<{successor}>")
    if method == "GET" and response.status == 200:
        followed = await ctx.request("GET", successor, based=False)
        ctx.expect(followed.status == 200, f"the successor-version of {label} answered "
                   f"{followed.status}", expected=f"GET {wanted}: 200",
                   received=f"status {followed.status} {followed.reason}")


@check("not-deprecated")
async def not_deprecated(
    ctx: CheckContext,
    *,
    requests: Sequence[RequestSpec],
    create_in: str | None = None,
    body: Any = None,
) -> None:
    """A current version announces no deprecation: no `Deprecation` (RFC 9745), no `Sunset` (RFC
    8594), no link with rel deprecation, sunset or successor-version, on any response."""
    async for _method, label, response in _exchanges(ctx, create_in, body, requests):
        for name in ("Deprecation", "Sunset"):
            value = response.headers.get(name)
            ctx.expect(value is None, f"{label} carries {name}, but this version is current",
                       expected=f"no {name} header", received=f"{name}: {value}")
        announcing = [(t, rels & set(ANNOUNCING_RELATIONS)) for t, rels in links(response)]
        for target, rels in announcing:
            ctx.expect(not rels, f"{label} links to a {' and '.join(sorted(rels))}, but this "
                       "version is current", expected="no deprecation, sunset or successor-version "
                       "link", received=f'<{target}>; rel="{" ".join(sorted(rels))}"')


@check("created-timestamp")
async def created_timestamp(
    ctx: CheckContext,
    *,
    create_in: str,
    body: Any,
    field: SingularJsonPath,
    updates: Sequence[RequestSpec] = (),
    id_field: SingularJsonPath = "id",
    wait_s: float = 1.1,
) -> None:
    """A server-set creation time is an RFC 3339 date-time in UTC (RFC 3339 §5.6), the moment of
    the request that created the resource (within a minute), and never changes: not when read
    again, not after each of `updates` (a PUT, a PATCH, a write through another version), which
    may name the resource as `${url}`, `${path}` or `${id}`."""
    before = datetime.now(UTC)
    _response, document = await created(ctx, create_in, body, id_field)
    after = datetime.now(UTC)
    made_at = _timestamp(ctx, document, field, f"POST {ctx.based(ctx.fill(create_in))}")
    ctx.expect(before - CLOCK_SKEW <= made_at <= after + CLOCK_SKEW, f"{field} is not the moment "
               "the resource was created", expected=f"about {before:%Y-%m-%dT%H:%M:%SZ} (within a "
               "minute)", received=f"{field}: {show(value_at(document, field))}")
    if updates:
        # A server that wrongly sets the time again on an update, to the second, would write the
        # same value within the second it created the resource: let that second pass.
        await asyncio.sleep(wait_s)
    for spec in [None, *updates]:
        after_what = ""
        if spec is not None:
            with ctx.preparing(f"changing the resource ({spec['method']} {ctx.fill(spec['path'])})"):
                label, done = await send(ctx, spec)
                ctx.expect(200 <= done.status < 300, f"{label} answered {done.status}",
                           expected="a 2xx status", received=str(done.status))
            after_what = f" after {label}"
        read = await ctx.request("GET", ctx.vars["url"], based=False)
        later = _timestamp(ctx, ctx.json(read), field, f"GET {ctx.vars['url']}{after_what}")
        ctx.expect(later == made_at, f"{field} changed{after_what}: it says when the resource was "
                   "created, which never changes", expected=f"{field} the same instant as when "
                   f"created ({made_at:%Y-%m-%dT%H:%M:%S}Z)",
                   received=f"{field}: {show(value_at(ctx.json(read), field))}")


def _timestamp(ctx: CheckContext, document: Any, field: str, label: str) -> datetime:
    value = value_at(document, field)
    moment = rfc3339_utc(value)
    ctx.expect(moment is not None, f"{label}: {field} is not an RFC 3339 date-time in UTC",
               expected=f"{field} such as \"2026-12-02T05:28:07Z\" (upper-case T and Z, or +00:00)",
               received=f"{field}: {show(value)}")
    assert moment is not None
    return moment


@check("listed-across")
async def listed_across(
    ctx: CheckContext,
    *,
    create_in: str,
    body: Any,
    collection: str,
    shows: dict[SingularJsonPath, Any],
    each_has: Sequence[SingularJsonPath] = (),
    items_path: SingularJsonPath = "items",
    id_field: SingularJsonPath = "id",
    max_pages: int = 500,
) -> None:
    """A resource created in one collection is listed, once, by another view of the same data
    (the same resources through another version), showing `shows` (field: value) there, and
    every item on every page carries the fields `each_has` names (that view's shape, whichever
    version created the item). Proves that two versions serve one set of data (RFC 9110 §3.1:
    one resource, several representations); pages are followed by rel="next" (RFC 8288)."""
    _response, document = await create(ctx, create_in, body)
    wanted = id_of(ctx, document, id_field, "the created resource")
    first = ctx.fill(collection)
    listed = await walk(ctx, first, items_path, max_pages)
    for page, item in listed:
        missing = [field for field in each_has
                   if not isinstance(item, dict) or value_at(item, field) is MISSING]
        ctx.expect(not missing, f"page {page} of GET {ctx.based(first)} (following its next links) lists an "
                   f"item without {', '.join(missing)}: an item in another version's shape, or "
                   "a next link that leaves this version", expected=f"every item with "
                   f"{', '.join(each_has)}", received=show(item))
    found = [(page, item) for page, item in listed
             if isinstance(item, dict) and key(value_at(item, id_field)) == key(wanted)]
    ctx.expect(len(found) == 1, f"GET {ctx.based(first)} lists the resource created through "
               f"{ctx.fill(create_in)} ({id_field} {show(wanted)}) {len(found)} times",
               expected="listed exactly once", received=f"listed {len(found)} times")
    item = found[0][1]
    for field, value in ctx.fill(shows).items():
        ctx.expect(value_at(item, field) == value, f"GET {ctx.based(first)} shows the resource "
                   f"with {field} = {show(value_at(item, field))}",
                   expected=f"{field}: {show(value)}", received=show(item))
