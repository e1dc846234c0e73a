"""Connections to a learner's server: a plain socket for http, asyncio streams for https.

A plain socket is read with a non-blocking `recv` first and waited for only when nothing has
arrived yet, so an exchange costs the event loop a turn or two, as it costs a blocking client a
system call or two: the grader's time is the server's, not its own. Likewise a connection on
loopback is most often made by the time `connect` returns, and is waited for only when it is
not. A wait is the selector's own, with one timer, rather than asyncio's socket methods under
`asyncio.timeout`: a grading waits thousands of times, and their bookkeeping adds up. TLS goes
through asyncio's streams, which do the handshake and the record layer.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
from typing import TYPE_CHECKING

from grader.http1 import READ_SIZE, Stream

if TYPE_CHECKING:
    import ssl

Address = tuple[int, tuple]  # (address family, socket address)


class SocketStream(Stream):
    """A plain TCP connection."""

    def __init__(self, sock: socket.socket, silence: float) -> None:
        super().__init__(silence)
        self.sock = sock

    async def receive(self, timeout: float) -> bytes:
        deadline = None
        while True:
            try:
                return self.sock.recv(READ_SIZE)  # most often it is there already
            except (BlockingIOError, InterruptedError):
                loop = asyncio.get_running_loop()
                deadline = deadline or loop.time() + timeout
                await _ready(loop, self.sock, deadline, writable=False)

    async def send(self, data: bytes) -> None:
        await asyncio.get_running_loop().sock_sendall(self.sock, data)

    def close(self) -> None:
        self.sock.close()


class TlsStream(Stream):
    """A TLS connection, through asyncio's streams."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 silence: float) -> None:
        super().__init__(silence)
        self.reader, self.writer = reader, writer

    async def receive(self, timeout: float) -> bytes:
        async with asyncio.timeout(timeout):
            return await self.reader.read(READ_SIZE)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def close(self) -> None:
        self.writer.close()


async def open_stream(scheme: str, host: str, port: int, silence: float,
                      addresses: dict[tuple[str, int], Address], timeout: float) -> Stream:
    """A connection to host:port (TLS for `https`), made within `timeout` seconds (else
    TimeoutError). `addresses` remembers, per host and port, the address that answered, so a
    name is resolved once per run. Raises OSError (refused, unreachable, TLS failure...)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    if scheme == "https":
        async with asyncio.timeout_at(deadline):
            reader, writer = await asyncio.open_connection(host, port, ssl=tls_context())
        return TlsStream(reader, writer, silence)
    known = addresses.get((host, port))
    if known:
        candidates = [known]
    else:
        async with asyncio.timeout_at(deadline):
            candidates = await _resolved(host, port)
    for number, (family, address) in enumerate(candidates, 1):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await _connected(loop, sock, address, deadline)
        except BaseException as exc:
            sock.close()
            if isinstance(exc, OSError) and number < len(candidates):
                continue  # localhost is ::1 and 127.0.0.1: try the next address
            raise
        addresses[(host, port)] = (family, address)
        return SocketStream(sock, silence)
    raise OSError(f"{host} has no address to connect to")


async def _connected(loop: asyncio.AbstractEventLoop, sock: socket.socket, address: tuple,
                     deadline: float) -> None:
    """Connect `sock` to `address` by `deadline` (on the loop's clock); OSError when refused."""
    try:
        sock.connect(address)
        return
    except (BlockingIOError, InterruptedError):  # in progress (RFC 9293 §3.5: the handshake)
        pass
    try:
        sock.getpeername()  # on loopback the handshake is most often over by now
        return
    except OSError:  # not yet connected (or refused: waiting says which)
        pass
    await _ready(loop, sock, deadline, writable=True)
    if error := sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
        raise OSError(error, os.strerror(error))


async def _ready(loop: asyncio.AbstractEventLoop, sock: socket.socket, deadline: float, *,
                 writable: bool) -> None:
    """Wait until `sock` is readable (or writable); TimeoutError at `deadline`."""
    if loop.time() >= deadline:
        raise TimeoutError
    ready = loop.create_future()
    fd = sock.fileno()
    (loop.add_writer if writable else loop.add_reader)(fd, _settle, ready, None)
    timer = loop.call_at(deadline, _settle, ready, TimeoutError)
    try:
        await ready
    finally:
        timer.cancel()
        (loop.remove_writer if writable else loop.remove_reader)(fd)


def _settle(ready: asyncio.Future, error: type[Exception] | None) -> None:
    if not ready.done():
        ready.set_exception(error()) if error else ready.set_result(None)


async def _resolved(host: str, port: int) -> list[Address]:
    family = _literal(host)
    if family is not None:
        return [(family, (host.strip("[]"), port))]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(family, address) for family, _type, _proto, _name, address in infos]


@functools.cache
def _literal(host: str) -> int | None:
    """The address family of an IP address written out, else None (a name to resolve)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host.strip("[]"))
            return family
        except OSError:
            continue
    return None


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every run: loading the CA bundle takes tens of milliseconds (and
    the ssl module is loaded only for a server graded over https)."""
    import ssl

    return ssl.create_default_context()

