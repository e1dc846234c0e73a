"""The only place that sends HTTP to a learner's server.

Every request is bounded (connect and read timeouts, a deadline for the whole exchange, a cap on
the body it reads), never follows a redirect off the learner's host, goes straight to the server
(no proxy), and is recorded: the report's `Exchange`, with a `curl` command that reproduces it and
its secrets shortened (see `grader.redact`), is made from the record when a report keeps it (see
`grader.recorded`). A server that misbehaves on the wire (refuses, resets, hangs, speaks
something other than HTTP) becomes a plain-language `WireError`, never a traceback.

The grader judges what is on the wire, not what an HTTP library makes of it (see `grader.http1`):
each request says `Connection: close`, and everything the server sends until it closes is read.
Bytes after the end of a response (a body after HEAD, a body longer than its Content-Length) are
a framing error that fails the request with the reason, as a client reusing the connection would
fail on them; `send(..., strict_framing=False)` hands them to a check instead (`after_end`),
and `send_unframed` returns them as the body of a response that has none (a 304, a HEAD).
`Wire.connection()` sends several requests on one kept-alive connection, as browsers do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json as jsonlib
import re
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, quote, urljoin, urlsplit

from grader import __version__
from grader.framing import overrun
from grader.http1 import Headers, Http1Error, Message, ProtocolError, Stream, encode_request, read_response
from grader.recorded import Recorded
from grader.redact import Redactor
from grader.target import on_server
from grader.transport import Address, open_stream

if TYPE_CHECKING:
    from grader.kept_alive import KeptAlive

USER_AGENT = f"apilab-grader/{__version__}"
MAX_REDIRECTS = 5
METHODS_WITH_CONTENT = ("POST", "PUT", "PATCH")
_SAFE_PATH = "/%!$&'()*+,;=:@-._~"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SENDABLE = re.compile(r"(?:[A-Za-z0-9/!$&'()*+,;=:@\-._~?]|%[0-9A-Fa-f]{2})*")
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
    # After a response has ended, how long a server that keeps the connection open despite
    # `Connection: close` is given to send bytes beyond the end (a server that closes costs nothing).
    linger: float = 0.1
    # Contract probes explore for their exercise's budget times this. `apilab verify` grades
    # many servers at once on a shared machine: it gives them longer, so that the load of the
    # machine never decides which planted bug they reach.
    probe_scale: float = 1.0


class WireError(Exception):
    """The exchange did not produce a usable HTTP response. `str()` says what happened."""


@dataclass
class Received:
    """A response as the grader read it: the body is at most `Limits.max_body_bytes`."""

    status: int
    reason: str
    http_version: str
    headers: Headers
    body: bytes
    truncated: bool
    url: str
    after_end: bytes = b""  # what the server sent after the response had ended (see module doc)

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
        # RFC 8259 §8.1: JSON between systems is UTF-8, with no byte order mark. Given bytes,
        # Python's own reader would guess UTF-16 or UTF-32 and skip a BOM; a client in another
        # language would not.
        if self.body.startswith(b"\xef\xbb\xbf"):
            raise WireError("the body starts with a byte order mark (EF BB BF); JSON sent over a "
                            "network is UTF-8 without one (RFC 8259 §8.1)")
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WireError(f"the body is not UTF-8 (byte {exc.start}: {exc.reason}); JSON sent "
                            "over a network is UTF-8 (RFC 8259 §8.1)") from None
        try:
            return jsonlib.loads(text)
        except ValueError as exc:
            raise WireError(f"the body is not valid JSON ({exc})") from None


@dataclass
class Wire:
    """A bounded HTTP client for one learner server, recording every exchange."""

    base_url: str
    limits: Limits = field(default_factory=Limits)
    exchanges: list[Recorded] = field(default_factory=list)
    redactor: Redactor = field(default_factory=Redactor)  # the run's secrets, hidden in records
    # The address that answered for each host and port: a name is resolved once per run.
    _addresses: dict[tuple[str, int], Address] = field(default_factory=dict, repr=False)

    async def aclose(self) -> None:
        """Nothing to release: every exchange closes its own connection."""

    async def __aenter__(self) -> Wire:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def url_for(self, path: str) -> str:
        return _url_for(self.base_url, path)

    async def send(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        follow_redirects: bool = False,
        strict_framing: bool = True,
    ) -> Received:
        """Send one request (and same-host redirects when asked); raise `WireError` on failure.

        With `strict_framing`, bytes after the end of the response are a `WireError` naming the
        mistake; without it they are returned as `Received.after_end` for the caller to judge.
        """
        url = self.url_for(path)
        for _hop in range(MAX_REDIRECTS + 1):
            url = self.on_server(url)
            received = await self._exchange(method, url, dict(headers or {}), content, strict_framing)
            location = received.headers.get("location")
            if not (follow_redirects and 300 <= received.status < 400 and location):
                return received
            url = urljoin(url, location)
            if received.status == 303 or (received.status in (301, 302) and method == "POST"):
                method, content = "GET", None
        raise WireError(f"more than {MAX_REDIRECTS} redirects in a row; the grader stopped following")

    async def send_unframed(self, method: str, path: str, *,
                            headers: Mapping[str, str] | None = None) -> Received:
        """Send one bodiless request and return, as the body, every byte the server writes after
        the head until it closes (at most `Limits.max_body_bytes`).

        A client reads a 304's or a HEAD's head and stops: by HTTP/1.1 framing they have no body
        (RFC 9112 §6.3), so whatever a server writes after the head is dropped unseen, or worse,
        read as the start of the next response on a kept-alive connection. Here `body` is that,
        for a check to judge. Bounded like `send`.
        """
        url = self.on_server(self.url_for(path))
        received = await self._exchange(method, url, dict(headers or {}), None, strict=False)
        everything = received.body + received.after_end
        unframed = dataclasses.replace(
            received, body=everything, after_end=b"",
            truncated=received.truncated or len(everything) >= self.limits.max_body_bytes)
        self._record(unframed, self.exchanges[-1])
        return unframed

    def connection(self) -> KeptAlive:
        """Several requests on one kept-alive connection: `async with wire.connection() as c:`."""
        from grader.kept_alive import KeptAlive

        return KeptAlive(self)

    def on_server(self, url: str) -> str:
        """`url` as sent to the learner's server; `WireError` for a URL elsewhere."""
        target = on_server(url, self.base_url)
        if target is None:
            raise WireError(f"refused to send a request to {url}: it is not on your server "
                            f"({self.base_url}), and the grader only talks to your server. "
                            "Use a relative URL such as /books/7, or one built from the "
                            "request's Host header")
        return target

    async def _exchange(self, method: str, url: str, headers: dict[str, str],
                        content: bytes | None, strict: bool) -> Received:
        request = self.prepare(method, url, headers, content, close=True)
        record = request.record
        self.exchanges.append(record)
        started = time.perf_counter()
        stream: Stream | None = None
        message: Message | None = None
        after = b""
        try:
            async with asyncio.timeout(self.limits.request_timeout):
                stream = await self.connect(request.parts)
                try:
                    await stream.send(request.data)
                    message = await read_response(stream, method, self.limits.max_body_bytes)
                    if not message.truncated:
                        after = await stream.rest(self.limits.linger, self.limits.max_body_bytes)
                finally:
                    stream.close()
        except TimeoutError:
            if message is None:
                record.error = deadline_message(stream.phase if stream else "connect",
                                                self.limits.request_timeout)
            elif stream is not None:  # the deadline came while waiting for bytes past the end
                after = stream.take(len(stream.buffer))
        except (WireError, Http1Error, OSError) as exc:
            record.error = failure_message(exc)
            if isinstance(exc, Http1Error) and exc.partial is not None:
                self.received(exc.partial, url, record, b"")  # the head came: show it
        finally:
            record.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        if record.error or message is None:
            raise WireError(record.error or "no response")
        received = self.received(message, url, record, after)
        if after and strict and (problem := overrun(method, message, after)):
            record.error = problem
            raise WireError(problem)
        return received

    # --- shared with KeptAlive --------------------------------------------------------------------

    def prepare(self, method: str, url: str, headers: dict[str, str], content: bytes | None, *,
                close: bool) -> Prepared:
        """The bytes of a request and its record; `WireError` when it cannot be sent."""
        parts = urlsplit(url)
        try:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("it is not an http:// or https:// URL with a host")
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
            target = _target(parts)
            fields = _fields(parts, method, headers, content, close)
            data = encode_request(method, target, fields, content)
        except ValueError as exc:  # e.g. a value taken from an earlier response
            shown = url.encode("utf-8", "backslashreplace").decode("utf-8")
            raise WireError(f"the grader cannot build the request to {shown} ({exc}): a value "
                            "taken from an earlier response is not valid in a URL or header") from None
        sent_url = f"{parts.scheme}://{parts.netloc}{target}"
        hide = self.redactor
        hide.learn_headers(fields)
        hide.learn_url(sent_url)
        if content:
            hide.learn_body(_text(content[:LEARN_BODY_BYTES]))
        record = Recorded(method, sent_url, fields, headers, content, hide, self.limits.excerpt_chars)
        return Prepared(parts, data, record)

    async def connect(self, parts: SplitResult) -> Stream:
        """A connection to the host of `parts`; `WireError` saying why there is none."""
        where = parts.netloc
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            return await open_stream(parts.scheme, parts.hostname or "", port,
                                     self.limits.read_timeout, self._addresses,
                                     self.limits.connect_timeout)
        except TimeoutError:
            raise WireError(f"could not connect to {where} within "
                            f"{self.limits.connect_timeout:g} s") from None
        except ConnectionRefusedError:
            raise WireError(f"connection refused: nothing is listening on {where}") from None
        except OSError as exc:
            raise WireError(f"could not connect to {where}: {exc.strerror or exc}") from None

    def received(self, message: Message, url: str, record: Recorded, after: bytes) -> Received:
        """The response as checks see it, recorded on `record`."""
        body = _decoded(message.body, message.headers)
        received = Received(status=message.status, reason=message.reason,
                            http_version=message.http_version, headers=message.headers, body=body,
                            truncated=message.truncated, url=url, after_end=after)
        self._record(received, record)
        return received

    def _record(self, received: Received, record: Recorded) -> None:
        """Put `received` on `record`, its secrets learnt."""
        hide = self.redactor
        hide.learn_headers(received.headers.raw)
        if received.body and len(received.body) <= LEARN_BODY_BYTES:
            hide.learn_body(received.text)
        record.answered(received)


@dataclass(frozen=True)
class Prepared:
    """A request ready to send: where, its bytes, and its record for the report."""

    parts: SplitResult
    data: bytes
    record: Recorded


@functools.lru_cache(maxsize=1024)  # a probe sends to the same few URLs hundreds of times
def _url_for(base_url: str, path: str) -> str:
    """`path` on the server at `base_url` (under its path); a URL with a scheme as it is."""
    return urljoin(base_url + "/", path.lstrip("/")) if not urlsplit(path).scheme else path


def _target(parts: SplitResult) -> str:
    """The request target (RFC 9112 §3.2.1): path and query, percent-encoded where needed."""
    target = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
    if _SENDABLE.fullmatch(target):  # the usual case: nothing to encode
        return target
    path = quote(_LONE_PERCENT.sub("%25", parts.path or "/"), safe=_SAFE_PATH)
    if not parts.query:
        return path
    return f"{path}?{quote(_LONE_PERCENT.sub('%25', parts.query), safe=_SAFE_PATH + '?')}"


def _fields(parts: SplitResult, method: str, headers: dict[str, str], content: bytes | None,
            close: bool) -> list[tuple[str, str]]:
    """The header fields sent: Host, the grader's defaults unless the check set them, the
    check's own, then how the connection ends and how long the content is."""
    given = {name.lower() for name in headers}
    fields = [] if "host" in given else [("Host", parts.netloc.rpartition("@")[2])]
    fields += [(name, value) for name, value in (("User-Agent", USER_AGENT), ("Accept", "*/*"))
               if name.lower() not in given]
    fields += headers.items()
    if close and "connection" not in given:
        fields.append(("Connection", "close"))
    if (content is not None or method in METHODS_WITH_CONTENT) and "content-length" not in given:
        fields.append(("Content-Length", str(len(content or b""))))
    return fields


def _decoded(raw: bytes, headers: Headers) -> bytes:
    # The cap counts bytes as sent; a gzip body, when declared, is undone for the checks.
    if headers.get("content-encoding", "").lower() != "gzip" or not raw:
        return raw
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, 4 * len(raw) + 65536)
    except zlib.error:
        return raw


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="backslashreplace")


def deadline_message(phase: str, seconds: float) -> str:
    """Why an exchange ran out of time, by what it was waiting for (`Stream.phase`)."""
    if phase == "body":
        return (f"the server sent its headers but the body was still arriving after {seconds:g} s; "
                "it hung mid-body or streams without end")
    if phase == "head":
        return f"the server's headers were still arriving after {seconds:g} s"
    return f"no response within {seconds:g} s"


def failure_message(exc: Exception) -> str:
    """A plain sentence for what went wrong on the wire."""
    if isinstance(exc, ProtocolError):
        return f"the server's reply is not valid HTTP/1.1: {exc}"
    if isinstance(exc, WireError | Http1Error):
        return str(exc)
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return f"the connection was reset by the server ({exc.strerror or type(exc).__name__})"
    if type(exc).__module__ == "ssl":  # ssl is loaded only for https servers
        return f"the TLS connection failed ({getattr(exc, 'reason', None) or exc})"
    return f"the connection failed ({type(exc).__name__}: {exc})"
