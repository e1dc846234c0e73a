"""HTTP method semantics the framework leaves out: HEAD on every GET route, and an Allow
header that lists every method a URI supports (not just those of the first route found)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document lists for `path`, plus HEAD wherever GET is
    listed (HeadAsGet answers it) and OPTIONS wherever anything is (the 405 handler does).

    Reading the OpenAPI document keeps Allow equal to the documented methods, and does not
    depend on how the framework stores routes internally.
    """
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        table = [
            (_template_regex(template), {m.upper() for m in operations})
            for template, operations in app.openapi().get("paths", {}).items()
        ]
        app.state.allow_table = table
    methods: set[str] = set()
    for regex, operations in table:
        if regex.fullmatch(path):
            methods |= operations
    if "GET" in methods:
        methods.add("HEAD")
    if methods:
        methods.add("OPTIONS")
    return sorted(methods, key=lambda m: (_METHOD_ORDER + [m]).index(m))


def _template_regex(template: str) -> re.Pattern[str]:
    """/books/{book_id} -> a regex matching /books/<one path segment>."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


class HeadAsGet:
    """Answer HEAD like GET, with the same status and headers and no body (RFC 9110 9.3.2).

    FastAPI routes declared with GET do not accept HEAD, so the request is passed on as a
    GET and the body is dropped on the way out. Content-Length stays that of the GET.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # a copy, so the server still knows this was a HEAD and sends no body itself
        await self.app({**scope, "method": "GET"}, receive, send_without_body)
