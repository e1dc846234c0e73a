"""What a check works with: the learner's server, the run's data, and a way to fail clearly.

Declarative steps and registered checks both run through a `CheckContext`, so every request is
recorded the same way and every failure carries what was expected and what came back.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from collections.abc import Iterator
from typing import Any, NoReturn

from grader.wire import Received, Wire, WireError

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
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


class CheckContext:
    """One check's view of the run: `vars` holds seeded data and captured values; `base_path`
    goes in front of every path the check writes (see `based`)."""

    def __init__(self, wire: Wire, data: dict[str, Any], rng: random.Random,
                 base_path: str = "") -> None:
        self.wire = wire
        self.vars: dict[str, Any] = dict(data)
        self.rng = rng
        self.base_path = base_path

    def based(self, path: str) -> str:
        """`path` under the check's base path when it is a path from the root (`/books` becomes
        `/v1/books`); an absolute URL, such as one the server gave, is left as it is."""
        return self.base_path + path if path.startswith("/") else path

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
        if name not in self.vars:
            # An authoring mistake, caught by `apilab verify` against the reference solution.
            raise CheckFailed(f"this check refers to ${{{name}}}, which no earlier step captured")
        return self.vars[name]

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
        based: bool = True,
    ) -> Received:
        """Send a request to the learner's server; a wire problem fails the check clearly.

        `path` goes under the check's base path unless `based` is false: a path the server gave
        (a relative Location, say) names its resource already."""
        headers = dict(headers or {})
        path = self.based(path) if based else path
        content: bytes | None = None
        if json_body is not NO_BODY:
            content = json.dumps(json_body).encode()
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "application/json"
        elif body is not None:
            content = body.encode() if isinstance(body, str) else body
        if query:
            from urllib.parse import urlencode

            path = f"{path}{'&' if '?' in path else '?'}{urlencode(query)}"
        try:
            return await self.wire.send(method, path, headers=headers, content=content,
                                        follow_redirects=follow_redirects)
        except WireError as exc:
            raise CheckFailed(f"{method} {path}: {exc}", received="no usable response") from None

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
