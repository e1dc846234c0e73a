"""Several requests on one kept-alive connection, as browsers and HTTP libraries send them.

On a persistent connection (RFC 9112 §9.3) the next response starts exactly where the previous one
ended. A server whose Content-Length counts characters, that sends a body after HEAD or a 204, or
that answers one request per connection without saying so, works with `curl` and breaks every real
client. `KeptAlive` sends requests one after the other on one connection, reads each response
exactly, and fails with the reason when bytes sit between two responses. It opens a new connection
when the server has closed one (after `Connection: close`, an HTTP/1.0 response, or while idle),
as clients do; the request that ends a sequence can say `Connection: close` (`close=True`), so
that bytes after the last response are seen too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from grader.framing import overrun
from grader.http1 import ClosedBeforeResponse, Http1Error, Message, Stream, read_response
from grader.recorded import Recorded
from grader.wire import Prepared, Received, Wire, WireError, deadline_message, failure_message


@dataclass
class _Answered:
    """The last response on the connection, to blame when bytes follow it."""

    method: str
    message: Message
    record: Recorded


class KeptAlive:
    """One connection to the learner's server, reused for every `send` (see the module doc)."""

    def __init__(self, wire: Wire) -> None:
        self.wire, self.limits = wire, wire.limits
        self.opened = 0  # connections opened, for checks that care
        self._stream: Stream | None = None
        self._last: _Answered | None = None

    async def __aenter__(self) -> KeptAlive:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._close()

    async def send(self, method: str, path: str, *, headers: Mapping[str, str] | None = None,
                   content: bytes | None = None, close: bool = False) -> Received:
        """Send a request on the connection and read its response exactly; `close` asks the server
        to close the connection after it. Raises `WireError` on a wire problem or a framing
        error, this response's or the previous one's."""
        url = self.wire.on_server(self.wire.url_for(path))
        request = self.wire.prepare(method, url, dict(headers or {}), content, close=close)
        record = request.record
        self.wire.exchanges.append(record)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.limits.request_timeout):
                message, after = await self._exchange(request, method)
        except TimeoutError:
            phase = self._stream.phase if self._stream else "connect"
            record.error = deadline_message(phase, self.limits.request_timeout)
        except (WireError, Http1Error, OSError) as exc:
            record.error = self._silent_after_answering(exc) or failure_message(exc)
            if isinstance(exc, Http1Error) and exc.partial is not None:
                self.wire.received(exc.partial, url, record, b"")
        finally:
            record.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        if record.error:
            self._close()
            raise WireError(record.error)
        received = self.wire.received(message, url, record, after)
        problem = self._earlier_overrun(message.stray) or overrun(method, message, after)
        if problem:
            record.error = problem
            self._close()
            raise WireError(problem)
        self._last = _Answered(method, message, record)
        return received

    async def _exchange(self, request: Prepared, method: str) -> tuple[Message, bytes]:
        """The response, and the bytes already seen past its end."""
        reused = self._stream is not None
        try:
            message = await self._ask(request, method, reused)
        except (ClosedBeforeResponse, ConnectionResetError, BrokenPipeError) as exc:
            if not reused:
                raise
            unread = exc.unread if isinstance(exc, ClosedBeforeResponse) else b""
            if problem := self._earlier_overrun(unread):
                raise WireError(problem) from None
            # The server closed the idle connection before it read this request: send it on a new
            # one, as clients do (RFC 9112 §9.3.1: nothing of it was processed).
            self._close()
            message = await self._ask(request, method, False)
        stream = self._stream
        assert stream is not None
        if not message.persistent or _asks_close(request):
            after = b"" if message.truncated else await stream.rest(self.limits.linger,
                                                                    self.limits.max_body_bytes)
            self._close()
        else:
            after = stream.take(len(stream.buffer))  # what already arrived past the end
        return message, after

    async def _ask(self, request: Prepared, method: str, reused: bool) -> Message:
        if self._stream is None:
            self._stream = await self.wire.connect(request.parts)
            self.opened += 1
        self._stream.phase = "waiting"
        await self._stream.send(request.data)
        return await read_response(self._stream, method, self.limits.max_body_bytes,
                                   after_another=reused)

    def _silent_after_answering(self, exc: Exception) -> str | None:
        """What it means when a reused connection gets no answer at all."""
        stream = self._stream
        if not (isinstance(exc, Http1Error) and self._last and stream and stream.phase == "waiting"
                and not stream.closed):
            return None
        return (f"your server answered {self._last.method} {self._last.record.request.url} on this "
                f"kept-alive connection, then sent nothing for {stream.silence:g} s for the next "
                "request: an HTTP/1.1 server reads the next request on the same connection, "
                "unless it answers with Connection: close and closes it (RFC 9112 §9.3)")

    def _earlier_overrun(self, stray: bytes) -> str | None:
        """The framing error of the previous response when `stray` bytes followed it."""
        if not stray or self._last is None:
            return None
        last = self._last
        problem = overrun(last.method, last.message, stray)
        if problem is None:
            return None
        last.record.error = problem
        return (f"the response to {last.record.request.method} {last.record.request.url} on this "
                f"kept-alive connection did not end where its framing said: {problem}")

    def _close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._stream = None


def _asks_close(request: Prepared) -> bool:
    return any(name.lower() == "connection" and "close" in value.lower()
               for name, value in request.record.fields)
