"""HTTP/1.1 as bytes on the wire (RFC 9112): a request written exactly, a response read exactly as
the server framed it.

An HTTP library hides what the grader has to judge. It drops the bytes a server sends after a
response has ended (a body after HEAD or after a 204, the rest of a body whose Content-Length
counts characters instead of bytes), and a client that reuses the connection would read those
bytes as the start of the next response. Here a response is read by the framing rules of RFC 9112
§6.3 from a `Stream` whose buffer the caller can look into afterwards: `Message.framing` says how
the end of the message was known, and whatever the buffer holds beyond it belongs to no response.

Every wait is bounded by the stream's `silence` (seconds without a byte) and every body by the
caller's cap. What goes wrong is an `Http1Error` whose text says, in words a learner can act on,
what the server sent and what HTTP/1.1 expects instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

Framing = Literal["none", "length", "chunked", "close"]
MAX_HEAD_BYTES = 64 * 1024  # a status line and headers longer than this are not a response
MAX_LINE_BYTES = 4096  # a chunk-size line or a trailer field
READ_SIZE = 65536
_TOKEN_TEXT = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # tab is allowed inside a field value
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")
_STATUS_LINE = re.compile(r"HTTP/(\d)\.(\d) (\d{3})(?: (.*))?")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_WHITESPACE = b" \t"  # optional whitespace (RFC 9110 §5.6.3)


class Http1Error(Exception):
    """The server's bytes are not a complete HTTP/1.1 response. `str()` says what was wrong;
    `partial` is the response as far as it was read when its head was whole (its body cut)."""

    partial: Message | None = None


class ProtocolError(Http1Error):
    """The bytes break HTTP/1.1's syntax: what follows is not a response at all."""


class ClosedBeforeResponse(Http1Error):
    """The server closed the connection before a whole status line and headers; `unread` holds
    the bytes it sent (none when it sent nothing at all)."""

    def __init__(self, message: str, unread: bytes) -> None:
        super().__init__(message)
        self.unread = unread


class Headers(Mapping[str, str]):
    """Header fields as received: in order, names compared without case, a name possibly repeated.

    `get` and `[name]` join repeated fields with ", " (RFC 9110 §5.3); `get_list` keeps them
    apart; `raw` holds every field with its name as it was sent.
    """

    __slots__ = ("_index", "raw")

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self.raw = list(fields)
        index: dict[str, list[str]] = {}
        for name, value in self.raw:
            index.setdefault(name.lower(), []).append(value)
        self._index = index

    def __getitem__(self, name: str) -> str:
        return ", ".join(self._index[name.lower()])

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def get_list(self, name: str) -> list[str]:
        """Every value of the field `name`, one per field line, in order."""
        return list(self._index.get(name.lower(), ()))

    def multi_items(self) -> list[tuple[str, str]]:
        """Every field as (lowercased name, value), repeated names included."""
        return [(name.lower(), value) for name, value in self.raw]

    def __repr__(self) -> str:
        return f"Headers({self.raw!r})"


@dataclass
class Message:
    """A response as it was framed on the wire."""

    http_version: str  # "HTTP/1.1"
    status: int
    reason: str
    headers: Headers
    body: bytes = b""  # without its transfer coding (chunks joined); at most the caller's cap
    truncated: bool = False  # the body went on beyond the cap and was not read to its end
    framing: Framing = "none"  # how its end was known: no body, Content-Length, chunks, or close
    declared_length: int | None = None  # Content-Length, when that framed it
    stray: bytes = b""  # bytes that came before its status line (see `read_response`)

    @property
    def persistent(self) -> bool:
        """Whether the server keeps the connection open after this response (RFC 9112 §9.3)."""
        options = {token.strip().lower() for value in self.headers.get_list("connection")
                   for token in value.split(",")}
        if "close" in options or self.framing == "close":
            return False
        return self.http_version != "HTTP/1.0" or "keep-alive" in options


class Stream:
    """One connection: its bytes as they arrive, in a buffer, each wait for more bounded by
    `silence` seconds. `phase` says what was being read, for messages about a wait that ran out:
    "waiting" (no byte yet), "head", "body", or "after" (past the message's end).

    Subclasses say how bytes move (`receive`, `send`, `close`): a plain socket, or TLS (see
    `grader.transport`).
    """

    def __init__(self, silence: float) -> None:
        self.silence = silence
        self.buffer = bytearray()
        self.closed = False  # the server closed its side
        self.phase = "waiting"

    async def receive(self, timeout: float) -> bytes:
        """The next bytes that arrive (b"" once the server has closed); TimeoutError after
        `timeout` seconds without any."""
        raise NotImplementedError

    async def send(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    async def more(self, timeout: float | None = None) -> bool:
        """Add what arrives next to the buffer; False once the server has closed. Raises
        TimeoutError after `timeout` (default `silence`) seconds without a byte."""
        if self.closed:
            return False
        chunk = await self.receive(self.silence if timeout is None else timeout)
        if not chunk:
            self.closed = True
            return False
        self.buffer += chunk
        return True

    def take(self, size: int) -> bytes:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    async def rest(self, linger: float, cap: int) -> bytes:
        """Everything the server sends from here until it closes the connection, at most `cap`
        bytes; a server that keeps the connection open is waited for `linger` seconds of silence."""
        self.phase = "after"
        try:
            while not self.closed and len(self.buffer) < cap and await self.more(linger):
                pass
        except TimeoutError:
            pass
        except OSError:  # a reset after the response: the server is gone, which is all we wait for
            self.closed = True
        return self.take(cap)


def encode_request(method: str, target: str, fields: Iterable[tuple[str, str]],
                   content: bytes | None) -> bytes:
    """The bytes of a request (RFC 9112 §3): request line, header fields, blank line, content.

    Raises ValueError naming the part that cannot be sent: a method or header name that is not a
    token, a control character or non-Latin-1 text in a value, a target that is not ASCII.
    """
    if not _TOKEN_TEXT.fullmatch(method):
        raise ValueError(f"{method!r} is not a method name")
    if not target.isascii() or any(c <= " " or c == "\x7f" for c in target):
        raise ValueError(f"the request target {target!r} holds characters a URL cannot carry")
    lines = [f"{method} {target} HTTP/1.1"]
    for name, value in fields:
        if not _TOKEN_TEXT.fullmatch(name):
            raise ValueError(f"{name!r} is not a header name")
        if _BAD_VALUE.search(value):
            raise ValueError(f"the value of the {name} header holds a control character")
        lines.append(f"{name}: {value}")
    lines += ["", ""]
    try:
        head = "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(f"a header holds {exc.object[exc.start:exc.end]!r}, which HTTP/1.1 "
                         "header fields cannot carry (only Latin-1 text)") from None
    return head + content if content else head


async def read_response(stream: Stream, method: str, max_body: int, *,
                        after_another: bool = False) -> Message:
    """Read one response from `stream`: the final one after any 1xx interim responses.

    Reads exactly what the response's framing covers (RFC 9112 §6.3): nothing after HEAD or a
    204/304, `Content-Length` bytes, chunks up to the last one, or everything until the server
    closes. Bytes past the end stay in `stream.buffer`. The body is read up to `max_body` bytes
    (`Message.truncated` when there was more). On a reused connection (`after_another`), bytes
    before the status line are the rest of the previous response, kept as `Message.stray`.
    Raises `Http1Error` saying what was wrong.
    """
    stray, head = await _read_head(stream, after_another)
    message = _parse_head(head)
    while 100 <= message.status < 200 and message.status != 101:  # 100 Continue, 103 Early Hints
        _unused, head = await _read_head(stream, False)
        message = _parse_head(head)
    message.stray = stray
    try:
        await _read_body(stream, message, method, max_body)
    except Http1Error as exc:
        message.body, message.truncated = stream.take(max_body), True
        exc.partial = message
        raise
    return message


async def _read_head(stream: Stream, after_another: bool) -> tuple[bytes, bytes]:
    """(stray bytes, the head up to its blank line); the head is taken from the buffer."""
    stray = b""
    buffer = stream.buffer
    while True:
        while buffer[:2] == b"\r\n" or buffer[:1] == b"\n":  # RFC 9112 §2.2: skip empty lines
            del buffer[: 2 if buffer[:1] == b"\r" else 1]
        if buffer and not b"HTTP/".startswith(bytes(buffer[:5])):
            start = buffer.find(b"HTTP/1.") if after_another else -1
            if start > 0:
                stray += stream.take(start)
            elif not after_another or len(buffer) > MAX_HEAD_BYTES:
                raise ProtocolError(f"it does not start with a status line such as "
                                    f"HTTP/1.1 200 OK: {_shown(buffer)}")
        if buffer.startswith(b"HTTP/"):
            end = _BLANK_LINE.search(buffer)
            if end is not None:
                head = stream.take(end.end())[: end.start()]
                return stray, head
            if len(buffer) > MAX_HEAD_BYTES:
                raise Http1Error(f"the response's status line and headers are longer than "
                                 f"{MAX_HEAD_BYTES // 1024} KiB without the blank line that ends them")
        if buffer:
            stream.phase = "head"
        try:
            got = await stream.more()
        except TimeoutError:
            raise Http1Error(_silent_in_head(stream)) from None
        if not got:
            raise ClosedBeforeResponse(_closed_in_head(stream, stray), stray + bytes(stream.buffer))


def _parse_head(head: bytes) -> Message:
    status_line, *lines = head.decode("latin-1").split("\n")
    status_line = status_line.rstrip("\r")
    match = _STATUS_LINE.fullmatch(status_line.rstrip(" "))
    if match is None:
        raise ProtocolError(f"the status line is {status_line[:80]!r}, not HTTP/1.1 followed by a "
                            "three-digit status code and a reason")
    major, minor, status, reason = match.groups()
    if major != "1":
        raise ProtocolError(f"the status line says HTTP/{major}.{minor}; the grader speaks HTTP/1.1")
    fields: list[tuple[str, str]] = []
    for line in lines:
        line = line.rstrip("\r")
        if line[:1] in (" ", "\t") and fields:  # obs-fold: RFC 9112 §5.2 says replace with SP
            name, value = fields[-1]
            fields[-1] = (name, value + " " + _field_text(line.strip(" \t")))
            continue
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN_TEXT.fullmatch(name):
            raise ProtocolError(f"a header line is not `Name: value`: {_shown(line.encode('latin-1'))}")
        fields.append((name, _field_text(value.strip(" \t"))))
    return Message(http_version=f"HTTP/{major}.{minor}", status=int(status), reason=reason or "",
                   headers=Headers(fields))


def _field_text(value: str) -> str:
    """A field value read as Latin-1, shown as UTF-8 when it is (RFC 9110 §5.5: field values are
    bytes; servers often put UTF-8 in them)."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return value


async def _read_body(stream: Stream, message: Message, method: str, cap: int) -> None:
    status, headers = message.status, message.headers
    if method == "HEAD" or status in (204, 304) or status < 200:
        return  # framing "none": the message ends with its head, whatever its headers say
    stream.phase = "body"
    codings = [c.strip().lower() for value in headers.get_list("transfer-encoding")
               for c in value.split(",") if c.strip()]
    if codings:
        message.framing = "chunked" if codings[-1] == "chunked" else "close"
    elif lengths := headers.get_list("content-length"):
        message.framing, message.declared_length = "length", _content_length(lengths)
    else:
        message.framing = "close"
    if message.framing == "length":
        await _read_length(stream, message, cap)
    elif message.framing == "chunked":
        await _read_chunked(stream, message, cap)
    else:
        await _read_to_close(stream, message, cap)


def _content_length(values: list[str]) -> int:
    numbers = {part.strip() for value in values for part in value.split(",")}
    if len(numbers) != 1 or not next(iter(numbers)).isdigit():
        raise ProtocolError(f"Content-Length is not one number of bytes: {', '.join(values)!r}")
    return int(next(iter(numbers)))


async def _read_length(stream: Stream, message: Message, cap: int) -> None:
    declared = message.declared_length or 0
    wanted = min(declared, cap)
    while len(stream.buffer) < wanted:
        got = len(stream.buffer)
        try:
            more = await stream.more()
        except TimeoutError:
            raise Http1Error(
                f"Content-Length says {declared}, but only {got} bytes of body came, then nothing "
                f"for {stream.silence:g} s (hung mid-body): a Content-Length larger than the body "
                "makes a client wait for bytes that never come") from None
        if not more:
            raise Http1Error(f"Content-Length says {declared}, but the connection closed after "
                             f"{got} bytes of body: Content-Length must be the exact number of "
                             "bytes of the body")
    message.body, message.truncated = stream.take(wanted), declared > cap


async def _read_chunked(stream: Stream, message: Message, cap: int) -> None:
    body = bytearray()
    while True:
        line = await _read_line(stream, "a chunk size")
        size_text = line.split(b";", 1)[0].strip(_WHITESPACE)
        if not _CHUNK_SIZE.fullmatch(size_text):
            raise ProtocolError(f"a chunked body has a chunk size that is not a hexadecimal "
                                f"number: {_shown(line)}")
        size = int(size_text, 16)
        if size == 0:
            while await _read_line(stream, "the trailer fields"):
                pass
            message.body = bytes(body)
            return
        if len(body) + size > cap:  # read no further than the cap
            await _need(stream, cap - len(body), "a chunk")
            body += stream.take(cap - len(body))
            message.body, message.truncated = bytes(body), True
            return
        await _need(stream, size + 1, "a chunk")
        body += stream.take(size)
        if stream.buffer[:1] == b"\r":
            await _need(stream, 2, "a chunk")
        if not (stream.buffer.startswith(b"\r\n") or stream.buffer.startswith(b"\n")):
            raise ProtocolError(f"a chunk of a chunked body is longer than its size line says "
                                f"({size} bytes): {_shown(stream.buffer)}")
        stream.take(2 if stream.buffer[:1] == b"\r" else 1)


async def _read_line(stream: Stream, what: str) -> bytes:
    while True:
        end = _LINE_END.search(stream.buffer)
        if end is not None:
            return stream.take(end.end())[: end.start()]
        if len(stream.buffer) > MAX_LINE_BYTES:
            raise ProtocolError(f"{what} of the chunked body is a line longer than "
                                f"{MAX_LINE_BYTES} bytes: {_shown(stream.buffer)}")
        await _more_of_chunked(stream)


async def _need(stream: Stream, size: int, what: str) -> None:
    while len(stream.buffer) < size:
        await _more_of_chunked(stream)


async def _more_of_chunked(stream: Stream) -> None:
    try:
        more = await stream.more()
    except TimeoutError:
        raise Http1Error(f"the server sent part of a chunked body, then nothing for "
                         f"{stream.silence:g} s (hung mid-body)") from None
    if not more:
        raise Http1Error("the connection closed in the middle of a chunked body, before its last "
                         "(zero-size) chunk: the response is incomplete")


async def _read_to_close(stream: Stream, message: Message, cap: int) -> None:
    try:
        while not stream.closed and len(stream.buffer) <= cap:
            await stream.more()
    except TimeoutError:
        raise Http1Error(
            f"the response has neither Content-Length nor Transfer-Encoding: chunked, so its "
            f"body ends only when the connection closes, but after {len(stream.buffer)} bytes the "
            f"server sent nothing for {stream.silence:g} s and kept the connection open") from None
    message.body, message.truncated = stream.take(cap), not stream.closed or bool(stream.buffer)


def _silent_in_head(stream: Stream) -> str:
    if stream.phase == "waiting":
        return (f"the server accepted the connection but sent nothing for {stream.silence:g} s "
                "(timed out before the first byte)")
    return (f"the server started a response, then sent nothing for {stream.silence:g} s before "
            f"the end of its headers: {_shown(stream.buffer)}")


def _closed_in_head(stream: Stream, stray: bytes) -> str:
    if not stream.buffer and not stray:
        return "the server closed the connection without sending a response"
    return (f"the connection closed in the middle of the response's status line and headers: "
            f"{_shown(stream.buffer or stray)}")


def _shown(data: bytes | bytearray, limit: int = 60) -> str:
    """Bytes quoted for a message: printable ASCII as is, anything else escaped."""
    text = repr(bytes(data[:limit]))[1:]
    return text + ("…" if len(data) > limit else "")
