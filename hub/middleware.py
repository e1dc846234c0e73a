"""ASGI middleware of the hub: a cap on request bodies, and headers every answer carries."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from httpkit.problems import ProblemException, problem_response

# Authenticated answers are private to one user: no shared cache may keep them (RFC 9111 5.2),
# unless a route says otherwise (submissions are revalidated with their ETag).
DEFAULT_HEADERS = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]
SUBMISSION_PATH = re.compile(r"/v1/submissions/[^/]+")


class DefaultHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_defaults(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in DEFAULT_HEADERS if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_defaults)


class BodyLimit:
    """Refuse bodies above their limit with 413: by Content-Length before reading, and by
    counting for bodies sent without one (chunked). A submission (PUT of a report) may be up to
    `max_bytes`; every other body (a note, a review) up to `small_bytes`, because FastAPI reads
    and parses those before the route checks the token, and an anonymous body must stay cheap."""

    def __init__(self, app: ASGIApp, max_bytes: int, small_bytes: int = 100_000) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.small_bytes = small_bytes

    def limit(self, scope: Scope) -> int:
        is_submission = scope["method"] == "PUT" and SUBMISSION_PATH.fullmatch(scope["path"])
        return self.max_bytes if is_submission else self.small_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        detail = f"the body is larger than the {limit} bytes this hub accepts here"
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = problem_response(Request(scope), 413, detail)
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ProblemException(413, detail)
            return message

        await self.app(scope, counting_receive, send)
