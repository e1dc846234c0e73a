"""Which servers the grader may talk to.

The grader sends whatever an exercise file says to whatever URL it is given, so by default it
only targets this machine: it must not become a way to probe other hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import time
from urllib.parse import SplitResult, urlsplit, urlunsplit


class TargetError(ValueError):
    """The URL to grade is unusable or not allowed. The message says what to do instead."""


def check_target(url: str, allow_remote: bool = False) -> str:
    """Return `url` normalised (no trailing slash) if the grader may send requests to it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        suggestion = f"http://{url}" if "://" not in url else "http://127.0.0.1:8001"
        raise TargetError(f"{url!r} is not an http:// or https:// URL; try --url {suggestion}")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError as exc:
        raise TargetError(f"{url!r} has an invalid port ({exc}); "
                          "try --url http://127.0.0.1:8001") from None
    if parts.query or parts.fragment:
        raise TargetError(f"{url!r} has a query or fragment; give the server's base URL only")
    if parts.path not in ("", "/"):  # every check writes its own path: /books would be /books/books
        raise TargetError(f"{url!r} has a path ({parts.path}); give the server's address alone, "
                          f"the checks add the paths: try --url {parts.scheme}://{parts.netloc}")
    if not allow_remote and not is_loopback(parts.hostname):
        raise TargetError(
            f"{parts.hostname} is not this machine. The grader only targets loopback addresses "
            "(localhost, 127.0.0.1, ::1) unless you pass --allow-remote for a server you own."
        )
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    """True when every address `host` names is a loopback address."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host == "localhost" or host.endswith(".localhost"):
        return True  # RFC 6761 §6.3: always the loopback interface
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    try:
        return (a.scheme, a.hostname, _port(a)) == (b.scheme, b.hostname, _port(b))
    except ValueError:  # an invalid port is not the learner's server
        return False


# The names a server on this machine is commonly given for itself. 127.0.0.2 is loopback too,
# but another address: a server listening on 127.0.0.1 does not answer there.
_THIS_MACHINE = {"localhost", "127.0.0.1", "::1"}


@functools.lru_cache(maxsize=1024)  # a probe sends to the same few URLs hundreds of times
def on_server(url: str, base: str) -> str | None:
    """`url` if it is on the learner's server at `base`, else None.

    A server that names itself `localhost` while graded at 127.0.0.1 (or the other way round)
    is still the same server: its absolute Location and Link URLs are rewritten onto `base`'s
    host, so that the request reaches the socket being graded.
    """
    if same_origin(url, base):
        return url
    a, b = urlsplit(url), urlsplit(base)
    try:
        same_port = (a.scheme, _port(a)) == (b.scheme, _port(b))
    except ValueError:
        return None
    if same_port and a.hostname in _THIS_MACHINE and b.hostname in _THIS_MACHINE:
        return urlunsplit(a._replace(netloc=b.netloc))
    return None


def _port(parts: SplitResult) -> int | None:
    # http://host and http://host:80 are the same origin (RFC 6454 §4).
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


async def unreachable(url: str, connect_timeout: float) -> str | None:
    """Why nothing could be graded at `url`, or None when something accepts connections there."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(connect_timeout):
            _reader, writer = await asyncio.open_connection(parts.hostname, port)
    except TimeoutError:
        return f"could not connect to {parts.netloc} within {connect_timeout:g} s"
    except OSError as exc:
        if isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower():
            return f"nothing is listening on {parts.netloc} (connection refused)"
        return f"could not connect to {parts.netloc}: {exc.strerror or exc}"
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None


async def until_listening(url: str, timeout: float, interval: float = 0.2) -> bool:
    """Wait, up to `timeout` seconds, until something accepts connections at `url`; True once it
    does. A server restarting after a save is away for a moment: graded then, it would count as
    nothing listening although it is about to answer."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            if await unreachable(url, max(0.1, min(1.0, left))) is None:
                return True
        except ValueError:  # an unusable URL: grading says what is wrong with it
            return True
        if left <= 0:
            return False
        await asyncio.sleep(min(interval, max(0.0, left)))


async def tls_problem(url: str, timeout: float) -> str | None:
    """For an https `url` that accepts connections, why it cannot be graded over TLS (a plain
    HTTP server, an untrusted certificate), or None; for an http one, None."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return None
    import ssl

    from grader.transport import tls_context

    port = parts.port or 443
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=tls_context())
    except TimeoutError:
        return (f"{parts.netloc} accepted a connection but made no TLS handshake within {timeout:g} s; "
                f"if it serves plain HTTP, use http://{parts.netloc}")
    except ssl.SSLCertVerificationError as exc:
        return (f"the TLS certificate of {parts.netloc} is not trusted ({exc.verify_message}); "
                "serve plain HTTP on this machine and use http://, or a certificate it trusts.")
    except (ssl.SSLError, OSError) as exc:
        # A plain HTTP server answers the TLS greeting with an HTTP 400: not a TLS record.
        return (f"{parts.netloc} does not speak TLS (it is probably a plain HTTP server: "
                f"{getattr(exc, 'reason', None) or exc}); use http://{parts.netloc} instead.")
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    return None
