"""Registered checks of dates (RFC 9110 §5.6.7 and §8.8.2): Last-Modified written as an
IMF-fixdate, never in the future, and moving with every change. Requests are described as in
`grader.checks.caching`.
"""

from __future__ import annotations

import asyncio
import time
from email.utils import parsedate_to_datetime
from typing import Any

from grader.checks.caching import prepare, read_etag, send
from grader.checks.registry import check
from grader.context import CheckContext
from grader.field_values import imf_fixdate
from grader.wire import Received

CLOCK_SLACK = 5.0  # seconds between the grader's clock and the server's, on one machine
APART = 1.05  # seconds between a change's answer and the next change: more than a date's resolution


@check("http-date")
async def http_date(
    ctx: CheckContext,
    *,
    path: str,
    create: dict[str, Any] | None = None,
    header: str = "Last-Modified",
) -> None:
    """A date header is an IMF-fixdate in GMT, not in the future, not before the resource existed.

    Proves RFC 9110 §5.6.7 (HTTP dates: the IMF-fixdate form, always GMT) and §8.8.2.1 (an origin
    server must not send a Last-Modified later than its own time). When the check creates the
    resource itself, the date may not be earlier than that creation either.
    """
    started = time.time()
    await prepare(ctx, create, (200, 201))
    path = ctx.fill(path)
    response = await ctx.request("GET", path)
    ctx.expect(response.status == 200, f"GET {path} answered {response.status}",
               expected="status 200", received=f"status {response.status} {response.reason}")
    value = response.headers.get(header)
    ctx.expect(value is not None, f"GET {path} has no {header} header",
               expected=f"{header}: an HTTP date such as Tue, 15 Nov 2025 08:12:31 GMT",
               received=f"no {header} header")
    moment = imf_fixdate(value)
    ctx.expect(moment is not None, f"{header} is not an HTTP date in the preferred format "
               "(IMF-fixdate, with the day name of its date)", expected="like Tue, 15 Nov 2025 "
               "08:12:31 GMT", received=f"{header}: {value}")
    assert moment is not None
    stamp = moment.timestamp()
    ctx.expect(stamp <= time.time() + CLOCK_SLACK, f"{header} is in the future",
               expected="a date no later than now", received=f"{header}: {value}")
    if create is not None:
        ctx.expect(stamp >= int(started) - CLOCK_SLACK, f"{header} is earlier than the moment "
                   "this check created the resource", expected="the time of the last change",
                   received=f"{header}: {value}")


@check("last-modified-moves")
async def last_modified_moves(
    ctx: CheckContext,
    *,
    path: str,
    changes: list[dict[str, Any]],
    create: dict[str, Any] | None = None,
) -> None:
    """Each of `changes` moves Last-Modified forward: its answer carries a later date than the
    one before, and a GET right after shows that same date. Until the next change, the date
    stays: a GET just before it still shows the last change's.

    Proves RFC 9110 §8.8.2 (Last-Modified is when the representation last changed; a client
    revalidating with If-Modified-Since relies on it) and the lesson policy that a write answers
    with its new validators. A date has whole seconds, so each change is sent more than a second
    after the answer to the one before: by then the server's clock, whatever its offset and
    however it rounds, has moved on by a whole second, and a date taken from the time of the
    request, not of the change, shows on the GET sent then. `${etag}` is the current ETag.
    """
    await prepare(ctx, create, (200, 201))
    answered = time.monotonic()
    path = ctx.fill(path)
    before = _date(ctx, await read_etag(ctx, path), f"GET {path}")
    for change in changes:
        await asyncio.sleep(max(0.0, answered + APART - time.monotonic()))
        kept = _date(ctx, await read_etag(ctx, path), f"GET {path}")
        ctx.expect(kept[0] == before[0], f"GET {path}, over a second after the page last changed "
                   f"and with no change since, answered Last-Modified: {kept[0]} instead of the "
                   f"last change's {before[0]}: Last-Modified is the time of the page's last "
                   "change, not of the request; a date that moves while the page stays the same "
                   "tells every client and cache that it changed when it did not",
                   expected=f"Last-Modified: {before[0]}, until the page changes",
                   received=f"Last-Modified: {kept[0]}")
        method = ctx.fill(change).get("method", "GET")
        changed = await send(ctx, change, path)
        answered = time.monotonic()
        ctx.expect(200 <= changed.status < 300, f"{method} {path} with If-Match: the current ETag "
                   f"answered {changed.status}", expected="status 200",
                   received=f"status {changed.status} {changed.reason}")
        after = _date(ctx, changed, f"the answer to {method}")
        ctx.expect(after[1] > before[1], f"{method} changed the page over a second after its last "
                   f"change, yet answered Last-Modified: {after[0]}, no later than before "
                   f"({before[0]}): a client holding the old page and asking If-Modified-Since "
                   f"{before[0]} is told 304, and keeps the old page", expected=f"a Last-Modified "
                   f"later than {before[0]}", received=f"Last-Modified: {after[0]}")
        shown = _date(ctx, await read_etag(ctx, path), f"GET {path}")
        ctx.expect(shown[0] == after[0], f"GET right after {method} shows another Last-Modified "
                   "than the change's answer: validators must describe the stored page, whoever "
                   "computes them", expected=f"Last-Modified: {after[0]}",
                   received=f"Last-Modified: {shown[0]}")
        before = after


def _date(ctx: CheckContext, response: Received, where: str) -> tuple[str, float]:
    """The Last-Modified of `response`, as written and as a timestamp; fails when none is there."""
    value = response.headers.get("last-modified")
    ctx.expect(value is not None, f"{where} has no Last-Modified header", expected="Last-Modified: "
               "the time of the page's last change", received="no Last-Modified header")
    try:
        return value, parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        ctx.fail(f"{where} has a Last-Modified that is not an HTTP date",
                 expected="like Tue, 15 Nov 2025 08:12:31 GMT", received=f"Last-Modified: {value}")
