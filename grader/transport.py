"""Connections to a learner's server: a plain socket for http, asyncio streams for https.

A plain socket is read with a non-blocking `recv` first and waited for only when nothing has
arrived yet, so an exchange costs the event loop a turn or two, as it costs a blocking client a
system call or two: the grader's time is the server's, not its own. TLS goes through asyncio's
streams, which do the handshake and the record layer.
"""

from __future__ import annotations

import asyncio
import functools
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
        try:
            return self.sock.recv(READ_SIZE)  # most often it is there already
        except (BlockingIOError, InterruptedError):
            pass
        async with asyncio.timeout(timeout):
            return await asyncio.get_running_loop().sock_recv(self.sock, READ_SIZE)

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
                      addresses: dict[tuple[str, int], Address]) -> Stream:
    """A connection to host:port (TLS for `https`). `addresses` remembers, per host and port,
    the address that answered, so a name is resolved once per run. Raises OSError (refused,
    unreachable, TLS failure...)."""
    if scheme == "https":
        reader, writer = await asyncio.open_connection(host, port, ssl=tls_context())
        return TlsStream(reader, writer, silence)
    known = addresses.get((host, port))
    candidates = [known] if known else await _resolved(host, port)
    for number, (family, address) in enumerate(candidates, 1):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await asyncio.get_running_loop().sock_connect(sock, address)
        except BaseException as exc:
            sock.close()
            if isinstance(exc, OSError) and number < len(candidates):
                continue  # localhost is ::1 and 127.0.0.1: try the next address
            raise
        addresses[(host, port)] = (family, address)
        return SocketStream(sock, silence)
    raise OSError(f"{host} has no address to connect to")


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

