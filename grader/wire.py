"""The only place that sends HTTP to a learner's server.

Every request is bounded (connect and read timeouts, a deadline for the whole exchange, a cap on
the body it reads), never follows a redirect off the learner's host, ignores proxy settings, and
is recorded as an `Exchange` with a `curl` command that reproduces it, its secrets shortened (see
`grader.redact`). A server that misbehaves on the wire (refuses, resets, hangs, speaks something
other than HTTP) becomes a plain-language `WireError`, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json as jsonlib
import re
import shlex
import ssl
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from grader import __version__
from grader.redact import Redactor
from grader.report import Exchange, ReceivedResponse, SentRequest
from grader.target import on_server

USER_AGENT = f"apilab-grader/{__version__}"
MAX_REDIRECTS = 5
LEARN_BODY_BYTES = 256 * 1024  # larger bodies are still redacted, but not searched for new secrets


@dataclass(frozen=True)
class Limits:
    """How long and how much the grader will wait for and read from a learner's server."""

    connect_timeout: float = 3.0
    read_timeout: float = 5.0  # silence allowed before the first byte, and between bytes
    request_timeout: float = 10.0  # one whole exchange, however the bytes trickle in
    check_timeout: float = 20.0
    run_timeout: float = 120.0
    max_body_bytes: int = 1024 * 1024
    excerpt_chars: int = 2000  # how much of a body goes into the report


class WireError(Exception):
    """The exchange did not produce a usable HTTP response. `str()` says what happened."""


@dataclass
class Received:
    """A response as the grader read it: the body is at most `Limits.max_body_bytes`."""

    status: int
    reason: str
    http_version: str
    headers: httpx.Headers
    body: bytes
    truncated: bool
    url: str

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; `WireError` saying why when it is not."""
        if self.truncated:
            raise WireError(f"the body is larger than the grader reads ({len(self.body)} bytes); "
                            "it was cut off, so it cannot be parsed as JSON")
        if not self.body:
            raise WireError("the body is empty where JSON was expected")
        try:
            return jsonlib.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WireError(f"the body is not valid JSON ({exc})") from None


@dataclass
class Wire:
    """A bounded HTTP client for one learner server, recording every exchange."""

    base_url: str
    limits: Limits = field(default_factory=Limits)
    exchanges: list[Exchange] = field(default_factory=list)
    redactor: Redactor = field(default_factory=Redactor)  # the run's secrets, hidden in records

    def __post_init__(self) -> None:
        timeout = httpx.Timeout(self.limits.read_timeout, connect=self.limits.connect_timeout)
        self._client = httpx.AsyncClient(
            verify=_tls_context(),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment must not see learners' traffic
            # Each request on a connection of its own (see below), and said so to the server.
            headers={"User-Agent": USER_AGENT, "Connection": "close"},
            # No keep-alive: a server that drops a connection after answering (uvicorn does after an
            # unhandled exception) must not fail the next request, which belongs to another check.
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Wire:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def url_for(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/")) if not urlsplit(path).scheme else path

    async def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        follow_redirects: bool = False,
    ) -> Received:
        """Send one request (and same-host redirects when asked); raise `WireError` on failure."""
        url = self.url_for(path)
        for _hop in range(MAX_REDIRECTS + 1):
            target = on_server(url, self.base_url)
            if target is None:
                raise WireError(f"refused to send a request to {url}: it is not on your server "
                                f"({self.base_url}), and the grader only talks to your server. "
                                "Use a relative URL such as /books/7, or one built from the "
                                "request's Host header")
            url = target
            received = await self._exchange(method, url, headers or {}, content)
            location = received.headers.get("location")
            if not (follow_redirects and 300 <= received.status < 400 and location):
                return received
            url = urljoin(url, location)
            if received.status == 303 or (received.status in (301, 302) and method == "POST"):
                method, content = "GET", None
        raise WireError(f"more than {MAX_REDIRECTS} redirects in a row; the grader stopped following")

    async def send_unframed(self, method: str, path: str, *,
                            headers: dict[str, str] | None = None) -> Received:
        """Send one bodiless request and keep every byte the server writes until it closes.

        A client reads a 304's or a HEAD's head and stops: by HTTP/1.1 framing they have no body
        (RFC 9112 §6.3), so whatever a server writes after the head is dropped unseen, or worse,
        read as the start of the next response on a kept-alive connection. Here the request says
        `Connection: close` and `body` is everything after the head, for a check to judge.
        Plain `http` only; bounded like `send`.
        """
        url = on_server(self.url_for(path), self.base_url)
        parts = urlsplit(url or "")
        if url is None or parts.scheme != "http":
            raise WireError(f"the grader reads raw responses over plain http on your server only, "
                            f"not {self.url_for(path)}")
        target = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
        fields = {"Host": parts.netloc, "User-Agent": USER_AGENT, **(headers or {}),
                  "Connection": "close"}
        self.redactor.learn_headers(fields.items())
        self.redactor.learn_url(url)
        record = Exchange(request=SentRequest(method=method, url=self.redactor.text(url),
                                              headers=self.redactor.headers(fields.items())),
                          curl=self.redactor.text(curl_command(method, url, headers or {}, None)))
        self.exchanges.append(record)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.limits.request_timeout):
                raw = await self._read_until_close(parts, method, target, fields)
            received = _parse_unframed(raw, url)
            received.truncated = len(raw) >= self.limits.max_body_bytes
        except TimeoutError:
            record.error = _deadline_message("connect", self.limits.request_timeout)
        except (OSError, ValueError) as exc:
            record.error = f"the server's reply could not be read ({type(exc).__name__}: {exc})"
        except WireError as exc:
            record.error = str(exc)
        finally:
            record.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        if record.error:
            raise WireError(record.error)
        self.redactor.learn_headers(received.headers.items())
        record.response = _received_record(received, self.limits.excerpt_chars, self.redactor)
        return received

    async def _read_until_close(self, parts, method: str, target: str,
                                fields: dict[str, str]) -> bytes:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        try:
            head = f"{method} {target} HTTP/1.1\r\n" + "".join(
                f"{name}: {value}\r\n" for name, value in fields.items()) + "\r\n"
            writer.write(head.encode("latin-1"))
            await writer.drain()
            try:
                raw = bytearray(await asyncio.wait_for(reader.read(65536), self.limits.read_timeout))
            except TimeoutError:
                raise WireError(f"the server accepted the connection but sent nothing for "
                                f"{self.limits.read_timeout:g} s (timed out before the first byte)"
                                ) from None
            # A server that ignores `Connection: close` is not waited for beyond a pause.
            with contextlib.suppress(TimeoutError):
                while raw and len(raw) < self.limits.max_body_bytes:
                    chunk = await asyncio.wait_for(reader.read(65536), self.limits.read_timeout / 5)
                    if not chunk:
                        break
                    raw += chunk
            return bytes(raw)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _exchange(
        self, method: str, url: str, headers: dict[str, str], content: bytes | None
    ) -> Received:
        try:
            request = self._client.build_request(method, url, headers=headers, content=content)
        except (httpx.InvalidURL, ValueError) as exc:  # e.g. a captured value that is not text
            shown = url.encode("utf-8", "backslashreplace").decode("utf-8")
            raise WireError(f"the grader cannot build the request to {shown} "
                            f"({type(exc).__name__}): a value taken from an earlier response "
                            "is not valid in a URL or header") from None
        self.redactor.learn_headers(request.headers.items())
        self.redactor.learn_url(url)
        self.redactor.learn_body(_text(content or b""))
        sent = _sent(request, content, self.limits.excerpt_chars, self.redactor)
        record = Exchange(request=sent,
                          curl=self.redactor.text(curl_command(method, url, headers, content)))
        self.exchanges.append(record)
        started = time.perf_counter()
        phase = ["connect"]
        try:
            async with asyncio.timeout(self.limits.request_timeout):
                received = await self._read(request, phase)
        except TimeoutError:
            record.error = _deadline_message(phase[0], self.limits.request_timeout)
        except httpx.HTTPError as exc:
            record.error = _explain(exc, phase[0], self.limits, url)
        except (OSError, ValueError) as exc:  # e.g. undecodable headers from a broken server
            record.error = f"the server's reply could not be read ({type(exc).__name__}: {exc})"
        finally:
            record.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        if record.error:
            raise WireError(record.error)
        self.redactor.learn_headers(received.headers.items())
        if len(received.body) <= LEARN_BODY_BYTES:
            self.redactor.learn_body(received.text)
        record.response = _received_record(received, self.limits.excerpt_chars, self.redactor)
        return received

    async def _read(self, request: httpx.Request, phase: list[str]) -> Received:
        response = await self._client.send(request, stream=True)
        try:
            phase[0] = "body"
            body, truncated = bytearray(), False
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) >= self.limits.max_body_bytes:
                    del body[self.limits.max_body_bytes:]
                    truncated = True
                    break
        finally:
            await response.aclose()
        return Received(
            status=response.status_code,
            reason=response.reason_phrase,
            http_version=response.http_version,
            headers=response.headers,
            body=_decoded(bytes(body), response.headers),
            truncated=truncated,
            url=str(request.url),
        )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds; one context serves every run.
    return ssl.create_default_context()


def curl_command(method: str, url: str, headers: dict[str, str], content: bytes | None) -> str:
    """An equivalent `curl` command a learner can paste into a terminal."""
    parts = ["curl", "-i"]
    if method == "HEAD":
        parts = ["curl", "-I"]
    elif method != "GET" or content:
        parts += ["-X", method]
    parts.append(url)
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    if content:
        parts += ["--data-raw", content.decode("utf-8", errors="replace")]
    return shlex.join(parts)


def _decoded(raw: bytes, headers: httpx.Headers) -> bytes:
    # aiter_raw keeps the bytes as sent (so the cap counts wire bytes); undo gzip if declared.
    if headers.get("content-encoding", "").lower() != "gzip" or not raw:
        return raw
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, 4 * len(raw) + 65536)
    except zlib.error:
        return raw


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="backslashreplace")


def _excerpt(data: bytes, limit: int, redactor: Redactor) -> tuple[str, bool]:
    return redactor.excerpt(_text(data), limit)


def _sent(request: httpx.Request, content: bytes | None, limit: int, redactor: Redactor) -> SentRequest:
    body, truncated = _excerpt(content or b"", limit, redactor)
    return SentRequest(method=request.method, url=redactor.text(str(request.url)),
                       headers=redactor.headers(request.headers.items()), body=body,
                       body_truncated=truncated)


def _received_record(received: Received, limit: int, redactor: Redactor) -> ReceivedResponse:
    body, cut = _excerpt(received.body, limit, redactor)
    return ReceivedResponse(
        status=received.status, reason=received.reason, http_version=received.http_version,
        headers=redactor.headers(received.headers.items()), body=body, body_size=len(received.body),
        body_truncated=cut or received.truncated,
    )


def _parse_unframed(raw: bytes, url: str) -> Received:
    """A response head and everything after it, read without HTTP framing."""
    head, separator, rest = raw.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError("the connection closed before the end of the response head" if raw
                         else "the server closed the connection without sending a response")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    match = re.fullmatch(r"HTTP/(\d\.\d) (\d{3})(?: (.*))?", status_line)
    if not match:
        raise ValueError(f"the status line is not HTTP/1.x: {status_line[:80]!r}")
    headers = httpx.Headers([tuple(part.strip() for part in line.split(":", 1))
                             for line in lines if ":" in line])
    return Received(status=int(match.group(2)), reason=match.group(3) or "",
                    http_version=f"HTTP/{match.group(1)}", headers=headers, body=rest,
                    truncated=False, url=url)


def _plain(parser_error: str) -> str:
    """h11's complaint without Python's notation: `illegal status line: 'hello'`."""
    return re.sub(r"bytearray\(b(['\"])(.*?)\1\)", r"'\2'", parser_error)


def _deadline_message(phase: str, seconds: float) -> str:
    if phase == "body":
        return (f"the server sent its headers but the body was still arriving after {seconds:g} s; "
                "it hung mid-body or streams without end")
    return f"no response within {seconds:g} s"


def _explain(exc: httpx.HTTPError, phase: str, limits: Limits, url: str) -> str:
    where = urlsplit(url).netloc
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect to {where} within {limits.connect_timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in text.lower() or "all connection attempts failed" in text.lower():
            return f"connection refused: nothing is listening on {where}"
        return f"could not connect to {where}: {text}"
    if isinstance(exc, httpx.ReadTimeout):
        if phase == "body":
            return (f"the server sent its headers, then nothing for {limits.read_timeout:g} s "
                    "in the middle of the body (hung mid-body)")
        return (f"the server accepted the connection but sent nothing for {limits.read_timeout:g} s "
                "(timed out before the first byte)")
    if isinstance(exc, httpx.RemoteProtocolError):
        if "without sending" in text.lower() or "disconnect" in text.lower():
            return "the server closed the connection without sending a response"
        if phase == "body":
            return f"the response body broke off: {text}"
        return f"the server's reply is not valid HTTP/1.1 ({_plain(text)})"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return f"the connection was reset by the server ({text})"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out talking to {where} ({type(exc).__name__})"
    return f"{type(exc).__name__}: {text}"
