"""What the wire keeps of each exchange until a report asks for it.

A run sends hundreds of requests and its report keeps a few (a probe that passes keeps none of
its hundreds). The report's `Exchange` is its secrets hidden, its bodies cut to excerpts and a
`curl` line: work worth doing only for the exchanges a report keeps. So the wire records each
exchange as a `Recorded`, which holds what was sent and received, and makes the `Exchange` when
asked, hiding each part with the secrets known when it happened (`Redactor.as_of`), as if it had
been made then. Bodies larger than `KEPT_WHOLE_BYTES` are made into their excerpt at once, so a
record never holds more of a body than its report would.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from grader.redact import JWT_MARGIN, Redactor
from grader.report import Exchange, ReceivedResponse, SentRequest

if TYPE_CHECKING:
    from grader.wire import Received

KEPT_WHOLE_BYTES = 16 * 1024


class Recorded:
    """One exchange: the request as sent, the response as received (or the error), and, on
    demand, its record for the report (`exchange()`, or its parts `request`, `response` and
    `curl`, which read like an `Exchange`'s)."""

    __slots__ = ("method", "url", "fields", "headers", "content", "error", "elapsed_ms",
                 "_redactor", "_limit", "_sent", "_made", "_received", "_response")

    def __init__(self, method: str, url: str, fields: list[tuple[str, str]],
                 headers: Mapping[str, str], content: bytes | None, redactor: Redactor,
                 limit: int) -> None:
        self.method, self.url, self.fields, self.headers = method, url, fields, headers
        self.content = content
        self.error: str | None = None  # a plain-language transport problem
        self.elapsed_ms = 0.0
        self._redactor, self._limit = redactor, limit  # the run's secrets; the excerpts' length
        self._sent = redactor.learnt  # the secrets known once the request's own were learnt
        self._made: tuple[SentRequest, str] | None = None  # the request's record and curl line
        if content is not None and len(content) > KEPT_WHOLE_BYTES:
            self._made, self.content = (self._sent_request(), self._curl()), None
        self._received: _Received | None = None
        self._response: ReceivedResponse | None = None

    def answered(self, received: Received) -> None:
        """`received` came back (its secrets learnt already)."""
        self._received = _Received(received.status, received.reason, received.http_version,
                                   received.headers.raw, received.body, received.truncated,
                                   self._redactor.learnt)
        self._response = None
        if len(received.body) > KEPT_WHOLE_BYTES:
            self._response, self._received = self._received_response(), None

    @property
    def status(self) -> int | None:
        """The status that came back, or None when no response did."""
        if self._response is not None:
            return self._response.status
        return self._received.status if self._received else None

    @property
    def request(self) -> SentRequest:
        return self._made[0] if self._made else self._sent_request()

    @property
    def response(self) -> ReceivedResponse | None:
        if self._response is not None or self._received is None:
            return self._response
        return self._received_response()

    @property
    def curl(self) -> str:
        return self._made[1] if self._made else self._curl()

    def exchange(self) -> Exchange:
        """The record of this exchange in a report."""
        return Exchange.model_construct(request=self.request, response=self.response,
                                        error=self.error, elapsed_ms=self.elapsed_ms,
                                        curl=self.curl)

    def _sent_request(self) -> SentRequest:
        hide = self._redactor.as_of(self._sent)
        body, cut = excerpt(self.content or b"", self._limit, hide)
        return SentRequest.model_construct(method=self.method, url=hide.text(self.url),
                                           headers=hide.headers(self.fields), body=body,
                                           body_truncated=cut)

    def _curl(self) -> str:
        command = curl_command(self.method, self.url, self.headers, self.content)
        return self._redactor.as_of(self._sent).text(command)

    def _received_response(self) -> ReceivedResponse:
        received = self._received
        assert received is not None
        hide = self._redactor.as_of(received.learnt)
        body, cut = excerpt(received.body, self._limit, hide)
        return ReceivedResponse.model_construct(
            status=received.status, reason=received.reason, http_version=received.http_version,
            headers=hide.headers(received.headers), body=body, body_size=len(received.body),
            body_truncated=cut or received.truncated)


class _Received(NamedTuple):
    """What a record needs of a response, and how many secrets were known once it came."""

    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool
    learnt: int


def curl_command(method: str, url: str, headers: Mapping[str, str], content: bytes | None) -> str:
    """An equivalent `curl` command a learner can paste into a terminal."""
    parts = ["curl", "-i"]
    if method == "HEAD":
        parts = ["curl", "-I"]
    elif method != "GET" or content:
        parts += ["-X", method]
    parts.append(url)
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    if content:
        parts += ["--data-raw", content.decode("utf-8", errors="replace")]
    return shlex.join(parts)


def excerpt(data: bytes, limit: int, redactor: Redactor) -> tuple[str, bool]:
    """The start of a body as text for the report, its secrets hidden, and whether it was cut.
    Only a prefix is decoded: enough bytes for `limit` characters and the margin the redactor
    searches past them (see `Redactor.excerpt`)."""
    prefix = data[: 4 * (limit + JWT_MARGIN) + 65536]
    shown, cut = redactor.excerpt(prefix.decode("utf-8", errors="backslashreplace"), limit)
    return shown, cut or len(prefix) < len(data)
