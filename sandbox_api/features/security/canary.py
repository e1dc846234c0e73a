"""The only network the lab shop can reach: a few hosts simulated in process.

The avatar fetcher (the SSRF challenge, API7:2023) sends its requests here through an in-process
transport, so whatever URL a learner gives it, no packet leaves the process: the "cloud metadata
service" at 169.254.169.254 and the image host are this module's answers, and any other host is
unreachable. The lab teaches SSRF without ever becoming a way to reach another machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, PlainTextResponse, Response

if TYPE_CHECKING:
    import httpx

METADATA_HOST = "169.254.169.254"
IMAGE_HOST = "images.bookshop.test"
ROLE = "bookshop-avatar-fetcher"
CREDENTIALS_PATH = f"/latest/meta-data/iam/security-credentials/{ROLE}"
AVATAR = (b'<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32">'
          b'<circle cx="16" cy="16" r="14" fill="#4a7"/></svg>')


class Canary:
    """An ASGI app answering as every host of the lab's network; `credentials` is the flag
    that the metadata service hands out."""

    def __init__(self, credentials: str) -> None:
        self.credentials = credentials

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 (ASGI)
        host = next((value.decode("latin-1") for name, value in scope["headers"]
                     if name == b"host"), "")
        response = self.answer(_hostname(host), scope["path"])
        await response(scope, receive, send)

    def answer(self, host: str, path: str) -> Response:
        if host == IMAGE_HOST:
            return Response(AVATAR, media_type="image/svg+xml")
        if host == METADATA_HOST:
            return self._metadata(path)
        return PlainTextResponse(f"{host}: no such host in the lab's network (the lab reaches "
                                 f"only {IMAGE_HOST} and its cloud's internal services)", 502)

    def _metadata(self, path: str) -> Response:
        listing = {"/latest/meta-data/": "ami-id\nhostname\niam/",
                   "/latest/meta-data/iam/": "security-credentials/",
                   "/latest/meta-data/iam/security-credentials/": ROLE,
                   "/latest/meta-data/hostname": "shop-internal-7.bookshop.test"}
        if path == CREDENTIALS_PATH:
            return JSONResponse({"Code": "Success", "Type": "AWS-HMAC",
                                 "AccessKeyId": "ASIALABLABLABLAB", "Token": self.credentials})
        if path in listing:
            return PlainTextResponse(listing[path])
        return PlainTextResponse("not found", 404)


def _hostname(host: str) -> str:
    """The name in a Host header, without its port: `[::1]:80` -> `::1`."""
    if host.startswith("["):
        return host[1:].split("]")[0]
    return host.split(":")[0].lower()


def client(canary: Canary) -> httpx.AsyncClient:
    """An HTTP client whose every request reaches `canary`, never the network."""
    import httpx

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=canary), timeout=5,
                             follow_redirects=False)
