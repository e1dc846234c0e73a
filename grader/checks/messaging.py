"""Registered checks for HTTP/1.1 messaging: responses framed exactly, on kept-alive connections.

Every check of every lesson already fails on bytes after the end of a response (see
`grader.wire`). The check here sends what real clients send, several requests on one connection,
where a framing mistake that `curl` forgives breaks the next response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grader.checks.registry import check
from grader.context import CheckContext, CheckFailed, KeptAliveServer
from grader.http_helpers import key
from grader.matchers import MISSING, show, text_change
from grader.wire import Received


@check("keep-alive")
async def keep_alive(
    ctx: CheckContext,
    *,
    collection: str,
    body: dict[str, Any],
    update: dict[str, Any] | None = None,
    refused: Sequence[dict[str, Any]] = (),
) -> None:
    """Several requests on one kept-alive connection each get a complete, exactly framed response.

    Proves RFC 9112 §9.3 (persistent connections) and §6.3 (message body length): on one
    connection it creates a resource from `body` (its text sent as UTF-8), sends each of
    `refused` (`{ method, path, headers, body, statuses }`, or `on_created = true` instead of a
    path for the resource just created: a request with a body that the server refuses, answered
    with one of `statuses`), reads the resource back (every field of `body`
    exactly as sent), asks HEAD of it and of `collection`, lists `collection`, changes the
    resource with PATCH `update` (when given), deletes it, and reads it again (404). Each response
    must end where its framing says so that the next one starts right after it: a Content-Length
    that counts characters instead of bytes, or a body after HEAD or a 204, shifts every later
    response; and each request must be read to its end, so a body left unread when the request
    was refused is taken for the next request (RFC 9112 §6.3, §9.3). A server may close the
    connection (saying `Connection: close`, or answering in HTTP/1.0); the check then opens a new
    one, as clients do.
    """
    collection, body = ctx.fill(collection), ctx.fill(body)
    async with ctx.kept_alive() as connection:
        created = await _expect(ctx, connection, "POST", collection, 201, json_body=body)
        location = created.headers.get("location")
        ctx.expect(bool(location), f"POST {collection} answered 201 without a Location header",
                   expected="a Location header", received="none")
        after = ""
        for request in refused:
            request = ctx.fill(request)
            method, created = request["method"].upper(), request.get("on_created", False)
            target = location if created else request["path"]
            sent = f"{method} {target} with {request['called']}"
            answer = await connection.request(method, target, headers=request.get("headers"),
                                              body=request["body"], based=not created)
            statuses = request["statuses"]
            ctx.expect(answer.status in statuses, f"{sent} on a kept-alive connection answered "
                       f"{answer.status}{after}", expected="status " + " or ".join(map(str, statuses)),
                       received=f"status {answer.status} {answer.reason}".rstrip())
            after = (f", right after {sent} was refused on the same connection: its body was left "
                     "unread and taken for the start of the next request. Read every request's "
                     "body to its end, even one you refuse, or answer it with Connection: close "
                     "and close the connection")
        item = await _expect(ctx, connection, "GET", location, 200, based=False, after=after)
        _same_fields(ctx, item, body, f"GET {location}")
        await _expect(ctx, connection, "HEAD", location, 200, based=False)
        await _expect(ctx, connection, "GET", collection, 200)
        await _expect(ctx, connection, "HEAD", collection, 200)
        if update is not None:
            changed = await _expect(ctx, connection, "PATCH", location, 200, json_body=ctx.fill(update),
                                    based=False)
            _same_fields(ctx, changed, ctx.fill(update), f"PATCH {location}")
        await _expect(ctx, connection, "DELETE", location, 204, based=False)
        await _expect(ctx, connection, "GET", location, 404, close=True, based=False)


async def _expect(ctx: CheckContext, connection: KeptAliveServer, method: str, path: str,
                  status: int, after: str = "", **options: Any) -> Received:
    """Send a request on the connection and require `status`; `after` says what may have gone
    wrong before it."""
    try:
        response = await connection.request(method, path, **options)
    except CheckFailed as failed:
        if not after:
            raise
        ctx.fail(f"{failed.message}{after}", expected=f"status {status}", received=failed.received)
    ctx.expect(response.status == status, f"{method} {path} on a kept-alive connection answered "
               f"{response.status}{after}", expected=f"status {status}",
               received=f"status {response.status} {response.reason}".rstrip())
    return response


def _same_fields(ctx: CheckContext, response: Received, sent: Mapping[str, Any], label: str) -> None:
    document = ctx.json(response)
    ctx.expect(isinstance(document, dict), f"{label}: the body is not a JSON object",
               expected="the resource as a JSON object", received=show(document))
    for name, value in sent.items():
        got = document.get(name, MISSING)
        if key(got) != key(value):
            change = text_change(value, got)
            ctx.fail(f"{label}: {name} did not come back as sent" + (f": {change}" if change else ""),
                     expected=f"{name} = {show(value)}", received=f"{name} = {show(got)}")
