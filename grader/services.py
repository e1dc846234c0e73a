"""The servers besides the learner's that an exercise may need, such as the sandbox.

An exercise declares them (`services = ["sandbox"]`); the run is given their URLs
(`grade(..., services={"sandbox": url})`). A service is graded-against like the learner's
server (bounded, recorded) but must be on this machine whatever `--allow-remote` says: the
grader sends it whatever the exercise file says, as it does to the learner's server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from grader.target import TargetError, is_loopback, unreachable

# How a learner starts each service, for the message shown when it is not running.
START_COMMANDS = {"sandbox": "apilab sandbox"}


class ServiceTargetError(TargetError):
    """A service's URL is missing, malformed or not on this machine. `service` names it."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(message)
        self.service = service


def service_urls(declared: Sequence[str], given: Mapping[str, str] | None) -> dict[str, str]:
    """The URL of every service in `declared`, checked (no trailing slash).

    Raises ServiceTargetError when one has no URL in `given`, or a URL that is not http(s) on
    a loopback address.
    """
    urls = {}
    for name in declared:
        url = (given or {}).get(name)
        if not url:
            raise ServiceTargetError(name, f"this exercise needs the {name}, but no address was "
                                           f"given for it")
        parts = urlsplit(url)
        try:
            valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (
                parts.port is None or parts.port > 0)
        except ValueError:
            valid = False
        if not valid:
            raise ServiceTargetError(name, f"{url!r} is not a usable address for the {name}; "
                                           "give one such as http://127.0.0.1:8000")
        if not is_loopback(parts.hostname or ""):
            raise ServiceTargetError(name, f"the {name} must run on this machine, but "
                                           f"{parts.hostname} is not a loopback address")
        urls[name] = url.rstrip("/")
    return urls


async def unreachable_services(urls: Mapping[str, str], connect_timeout: float) -> str | None:
    """Why the run cannot go ahead (the first service that accepts no connection), or None."""
    for name, url in urls.items():
        problem = await unreachable(url, connect_timeout)
        if problem:
            command = START_COMMANDS.get(name)
            start = f" Start it in another terminal with `{command}`, then check again." if command else ""
            return f"This exercise needs the {name}, which is not running at {url}: {problem}.{start}"
    return None
