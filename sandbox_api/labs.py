"""Labs: features that are vulnerable on purpose (the security lesson's). They are off unless
switched on by name, served on loopback only, and marked on every response."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from httpkit.problems import problem_response
from sandbox_api.docs import LAB_MARK
from sandbox_api.feature import SandboxConfigError

HEADER = "X-Apilab-Lab"
LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`: addresses no other machine reaches."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, labs: Sequence[str]) -> None:
    """Refuse to serve labs on an address other machines can reach."""
    if labs and not is_loopback(host):
        raise SandboxConfigError(
            f"labs ({', '.join(labs)}) are {LAB_MARK} and are served on loopback only, not "
            f"on {host}: start the sandbox with --host 127.0.0.1 (the default)")


class LabMarker:
    """ASGI middleware for a sandbox with labs: every response says so in `X-Apilab-Lab`, and
    a request from another machine (should the server be bound wider anyway) is refused."""

    def __init__(self, app: ASGIApp, labs: Sequence[str]) -> None:
        self.app = app
        self.values = [(HEADER.lower().encode(), f"{name}; {LAB_MARK}".encode())
                       for name in labs]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.values]}
            await send(message)

        client = scope.get("client")
        if client and _is_remote(client[0]):
            refusal = problem_response(Request(scope), 403, f"this sandbox runs labs that are "
                                       f"{LAB_MARK}; it answers this machine only")
            await refusal(scope, receive, send_marked)
            return
        await self.app(scope, receive, send_marked)


def _is_remote(host: str) -> bool:
    # in-process test clients name themselves ("testclient"); only a real address is remote
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
