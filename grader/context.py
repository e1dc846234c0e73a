"""What a check works with: the learner's server, the run's data, and a way to fail clearly.

Declarative steps and registered checks both run through a `CheckContext`, so every request is
recorded the same way and every failure carries what was expected and what came back.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlencode

from grader.wire import Received, Wire, WireError

if TYPE_CHECKING:
    from grader.kept_alive import KeptAlive

# ${name} (seeded data, a capture) or ${fixture.field.field} (a run fixture's value).
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}")
NO_BODY = object()


class CheckFailed(Exception):
    """A learner's server did not do what the check requires. This is a result, not a crash.

    `setup` names the preparation that failed (creating the resource a check works on, say) when
    the check never reached what it tests, so the report can point at the real cause.
    """

    def __init__(self, message: str, *, expected: str | None = None, received: str | None = None):
        super().__init__(message)
        self.message, self.expected, self.received = message, expected, received
        self.setup: str | None = None


class Server:
    """A server that checks send requests to: the learner's, or a service such as the sandbox.

    Every request goes through a bounded, recording `Wire`; a wire problem fails the check with
    a sentence naming the server when it is a service, so the learner is not blamed for it.
    """

    def __init__(self, wire: Wire, service: str | None = None) -> None:
        self.wire, self.service = wire, service

    @property
    def url(self) -> str:
        return self.wire.base_url

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = NO_BODY,
        body: str | bytes | None = None,
        query: dict[str, str] | None = None,
        follow_redirects: bool = False,
        strict_framing: bool = True,
    ) -> Received:
        """Send a request; a wire problem fails the check clearly.

        `json_body` is sent as UTF-8 JSON text, every character as itself (RFC 8259 §8.1), never
        as a `\\u` escape: a server must read UTF-8, not only ASCII. See `Wire.send` for
        `strict_framing`.
        """
        headers, content = request_body(headers, json_body, body)
        path = with_query(path, query)
        try:
            return await self.wire.send(method, path, headers=headers, content=content,
                                        follow_redirects=follow_redirects,
                                        strict_framing=strict_framing)
        except WireError as exc:
            raise self.failure(method, path, exc) from None

    @contextlib.asynccontextmanager
    async def kept_alive(self) -> AsyncIterator[KeptAliveServer]:
        """One kept-alive connection to this server: `async with server.kept_alive() as c:`,
        then `await c.request(...)` like `request` (see `grader.kept_alive`)."""
        async with self.wire.connection() as connection:
            yield KeptAliveServer(self, connection)

    def failure(self, method: str, path: str, exc: WireError) -> CheckFailed:
        where = f"the {self.service} ({self.url}) did not answer: " if self.service else ""
        return CheckFailed(f"{where}{method} {path}: {exc}", received="no usable response")


class KeptAliveServer:
    """Requests on one kept-alive connection, with `Server.request`'s options."""

    def __init__(self, server: Server, connection: KeptAlive) -> None:
        self.server, self.connection = server, connection

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                      json_body: Any = NO_BODY, body: str | bytes | None = None,
                      close: bool = False) -> Received:
        """Send a request on the connection; `close` asks the server to close it afterwards."""
        headers, content = request_body(headers, json_body, body)
        try:
            return await self.connection.send(method, path, headers=headers, content=content,
                                              close=close)
        except WireError as exc:
            raise self.server.failure(method, path, exc) from None


def request_body(headers: dict[str, str] | None, json_body: Any,
                 body: str | bytes | None) -> tuple[dict[str, str], bytes | None]:
    """The headers and bytes of a request body: `json_body` as UTF-8 JSON (with Content-Type
    application/json unless given), or `body` as is (text as UTF-8)."""
    headers = dict(headers or {})
    if json_body is not NO_BODY:
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
        return headers, json.dumps(json_body, ensure_ascii=False).encode("utf-8")
    if body is not None:
        return headers, body.encode("utf-8") if isinstance(body, str) else body
    return headers, None


def with_query(path: str, query: Mapping[str, Any] | None) -> str:
    """`path` with `query` appended (values as text), keeping a query it already has."""
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{urlencode({k: str(v) for k, v in query.items()})}"


@dataclass(frozen=True)
class Run:
    """What every check and fixture of one run shares."""

    wire: Wire  # to the learner's server
    services: Mapping[str, Server]
    data: dict[str, Any]  # drawn from the seed
    seed: int
    check_timeout: float  # the default limit of one check (or fixture)
    run_limit: float
    deadline: float  # when the run's time is up, on the time.perf_counter() clock


class CheckContext:
    """One check's (or fixture's) view of the run.

    `vars` holds seeded data and captured values; `fixtures` the values of the run fixtures it
    needs; `service(name)` reaches a service the exercise declares (the sandbox, say).
    """

    def __init__(self, wire: Wire, data: dict[str, Any], rng: random.Random, *,
                 fixtures: Mapping[str, Any] | None = None,
                 services: Mapping[str, Server] | None = None) -> None:
        self.wire = wire
        self.server = Server(wire)
        self.vars: dict[str, Any] = dict(data)
        self.rng = rng
        self.fixtures = Fixtures(fixtures or {})
        self._services = dict(services or {})

    def fill(self, template: Any) -> Any:
        """Replace `${name}` placeholders; a string that is only a placeholder keeps its type."""
        if isinstance(template, str):
            whole = _PLACEHOLDER.fullmatch(template)
            if whole:
                return self._lookup(whole.group(1))
            return _PLACEHOLDER.sub(lambda m: str(self._lookup(m.group(1))), template)
        if isinstance(template, dict):
            return {self.fill(k): self.fill(v) for k, v in template.items()}
        if isinstance(template, list):
            return [self.fill(v) for v in template]
        return template

    def _lookup(self, name: str) -> Any:
        head, *fields = name.split(".")
        if not fields and head in self.vars:
            return self.vars[head]
        if head not in self.fixtures.available and not fields:
            # An authoring mistake, caught by `apilab verify` against the reference solution.
            raise CheckFailed(f"this check refers to ${{{name}}}, which no earlier step captured")
        value = self.fixtures[head]
        for depth, field in enumerate(fields):
            if not isinstance(value, Mapping) or field not in value:
                known = ", ".join(map(str, value)) if isinstance(value, Mapping) else "no fields"
                where = ".".join([head, *fields[:depth]])
                raise CheckFailed(f"${{{name}}}: the value of {where} has no field {field!r} "
                                  f"(it has {known})")
            value = value[field]
        return value

    def service(self, name: str) -> Server:
        """The service `name` (declared in the exercise's `services`), to send requests to."""
        if name not in self._services:
            raise CheckFailed(f"this check uses the {name}, which the exercise does not declare; "
                              f"add services = [\"{name}\"] to its exercise.toml")
        return self._services[name]

    async def request(self, method: str, path: str, **options: Any) -> Received:
        """Send a request to the learner's server (see `Server.request` for the options)."""
        return await self.server.request(method, path, **options)

    def kept_alive(self) -> contextlib.AbstractAsyncContextManager[KeptAliveServer]:
        """One kept-alive connection to the learner's server (see `Server.kept_alive`)."""
        return self.server.kept_alive()

    async def request_unframed(self, method: str, path: str,
                               headers: dict[str, str] | None = None) -> Received:
        """Send a bodiless request and read the raw reply to the end (see `Wire.send_unframed`):
        for a 304 or HEAD, `body` is whatever the server wrongly wrote after the head."""
        try:
            return await self.wire.send_unframed(method, path, headers=headers)
        except WireError as exc:
            raise self.server.failure(method, path, exc) from None

    def json(self, response: Received) -> Any:
        """The response body as JSON, or a failure saying why it is not JSON."""
        try:
            return response.json()
        except WireError as exc:
            excerpt = response.text[:120]
            raise CheckFailed(
                f"expected a JSON body but {exc}",
                expected="a JSON body",
                received=f"{response.media_type or 'no Content-Type'}: {excerpt or 'an empty body'}",
            ) from None

    @contextlib.contextmanager
    def preparing(self, what: str) -> Iterator[None]:
        """Mark failures inside the block as happening while preparing (`what`), not in what the
        check tests."""
        try:
            yield
        except CheckFailed as failure:
            failure.setup = failure.setup or what
            raise

    def fail(self, message: str, *, expected: str | None = None, received: str | None = None) -> NoReturn:
        raise CheckFailed(message, expected=expected, received=received)

    def expect(self, condition: bool, message: str, *, expected: str | None = None,
               received: str | None = None) -> None:
        if not condition:
            self.fail(message, expected=expected, received=received)


class Fixtures(Mapping[str, Any]):
    """The run fixtures a check listed in `needs`, by name; reading another is an authoring
    mistake that fails the check saying so, rather than a KeyError."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.available = dict(values)

    def __getitem__(self, name: str) -> Any:
        if name not in self.available:
            raise CheckFailed(f"this check reads the fixture {name!r} but does not list it in "
                              f"needs; add needs = [\"{name}\"] to it in exercise.toml")
        return self.available[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.available)

    def __len__(self) -> int:
        return len(self.available)
