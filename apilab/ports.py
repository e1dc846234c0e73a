"""Free loopback ports for the servers apilab starts: the sandbox, solutions, hubs and tests."""

from __future__ import annotations

import contextlib
import errno
import socket

SANDBOX_PORT = 8000  # where the practice API runs unless told otherwise
SERVER_PORT = 8001  # where `apilab serve` runs a learner's app, and where checks look by default


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct TCP ports that nothing was listening on a moment ago (the OS picks)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:  # held open together, so no port is handed out twice
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]


def free_port(host: str = "127.0.0.1") -> int:
    return free_ports(1, host)[0]


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on host:port (so a server started there would fail)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR, as uvicorn sets it: a port in TIME_WAIT is usable, a listening one not
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return False
