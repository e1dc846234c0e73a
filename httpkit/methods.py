"""HTTP method semantics the framework leaves out: HEAD wherever GET is, and an `Allow` header
that lists every method a URI supports (RFC 9110 sections 9.3.2, 10.2.1 and 15.5.6)."""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Methods this kit knows (RFC 9110, PATCH of RFC 5789, QUERY of the HTTP WG): a known method a
# resource does not support is a 405 with Allow; only a method nobody defined is a 501.
KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY", "TRACE",
                 "CONNECT")


def allowed_methods(app: ASGIApp, path: str) -> list[str]:
    """The methods some route of `app` answers at `path`, plus HEAD wherever GET is (HeadAsGet
    answers it) and OPTIONS wherever anything is (the 405 handler answers it), in a stable
    order. Routes left out of the OpenAPI document, such as /docs, count too.

    Each known method is put to the app's routes through Starlette's public `matches`, so the
    answer is the router's own and does not depend on how the framework stores routes.
    """
    routes = getattr(app, "routes", [])
    methods = [
        method for method in KNOWN_METHODS
        if any(route.matches(_probe(path, method))[0] is Match.FULL for route in routes)
    ]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    if methods and "OPTIONS" not in methods:
        methods.append("OPTIONS")
    return sorted(methods, key=KNOWN_METHODS.index)


def _probe(path: str, method: str) -> Scope:
    return {"type": "http", "path": path, "method": method, "root_path": "", "headers": [],
            "query_string": b""}


class HeadAsGet:
    """ASGI middleware: answer HEAD like GET, with the same status and headers and no body
    (RFC 9110 section 9.3.2).

    FastAPI routes declared with GET do not accept HEAD, so the request is passed on as a GET
    and the body is dropped on the way out. Content-Length stays that of the GET.
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
