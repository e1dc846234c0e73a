"""What it means when a server sends bytes after a response has ended, said so a learner can fix it.

A response ends where its framing says (RFC 9112 §6.3): with its headers after HEAD or a 204/304,
after Content-Length bytes, after the last chunk. A client that reuses the connection reads
whatever follows as the start of the next response, so those bytes break every later exchange.
The usual causes are a body sent after HEAD, and a Content-Length that counts characters
(or UTF-16 units) where HTTP counts bytes.
"""

from __future__ import annotations

from grader.http1 import Message

EXCERPT_CHARS = 60


def overrun(method: str, message: Message, extra: bytes) -> str | None:
    """Why `extra`, sent after the response `message` (to a `method` request) had ended, is a
    mistake; None when it is harmless: line endings alone, which clients skip (RFC 9112 §2.2)."""
    if not extra.strip(b"\r\n"):
        return None
    size, shown = len(extra), _shown(extra)
    if method == "HEAD":
        return (f"your server sent {size} bytes of body after HEAD; a HEAD response ends after its "
                f"headers (RFC 9110 §9.3.2), and a client that reuses the connection reads those "
                f"bytes as the start of the next response: {shown}")
    if message.framing == "none":
        return (f"your server sent {size} bytes of body after a {message.status} response, which "
                f"ends after its headers (RFC 9110 §6.4.1: 1xx, 204 and 304 responses have no "
                f"content), and a client that reuses the connection reads those bytes as the "
                f"start of the next response: {shown}")
    if message.framing == "length" and message.declared_length is not None:
        return _longer_than_declared(message.declared_length, message.body, extra)
    if message.framing == "chunked":
        return (f"{size} bytes followed the last (zero-size) chunk of the chunked body; a chunked "
                f"body ends with that chunk (RFC 9112 §7.1): {shown}")
    return None  # a body that ends when the connection closes has nothing after it


def _longer_than_declared(declared: int, body: bytes, extra: bytes) -> str:
    total = declared + len(extra)
    try:
        text = (body + extra).decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and declared in (len(text), len(text.encode("utf-16-le")) // 2):
        counted = ("characters" if declared == len(text)
                   else "UTF-16 units, as JavaScript's string length does")
        return (f"Content-Length says {declared}, the body was {total} bytes: count bytes, not "
                f"characters (it counts {counted}; the body is {total} bytes in UTF-8, and "
                "RFC 9110 §8.6 counts bytes)")
    return (f"Content-Length says {declared}, but {len(extra)} more bytes followed the body "
            f"({total} in all): Content-Length is the exact number of bytes of the body "
            f"(RFC 9110 §8.6), and the rest is read as the start of the next response: "
            f"{_shown(extra)}")


def _shown(data: bytes) -> str:
    text = data[: 4 * EXCERPT_CHARS].decode("utf-8", errors="backslashreplace")
    return repr(text[:EXCERPT_CHARS]) + ("…" if len(text) > EXCERPT_CHARS else "")
