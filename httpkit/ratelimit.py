"""Rate limiting with a token bucket per key, announced in the IETF RateLimit header fields.

Each key (a token, say, or a client address) owns a bucket of
`limit` requests that refills evenly over `window_s` seconds: bursts up to the whole quota are
fine, a sustained rate above limit/window is not. A request that finds the bucket empty is
refused with 429 and `Retry-After` (RFC 6585 section 4, RFC 9110 section 10.2.3).

Every answer carries (draft-ietf-httpapi-ratelimit-headers):

    RateLimit-Policy: "default";q=600;w=60      the quota and its window
    RateLimit: "default";r=599;t=1              requests left, seconds until the quota resets

A token bucket resets gradually, so `t` is the time until the bucket is full again, except on
a refusal, where it is the time until the next request fits, the same number as Retry-After.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from httpkit.problems import ProblemException

POLICY = "default"
STATE_KEY = "ratelimit"  # where a decision waits in request.state for the header middleware
_MAX_BUCKETS = 10_000  # beyond this, full buckets (which hold no information) are dropped


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    window_s: float
    remaining: int
    reset_s: int
    retry_after_s: int | None = None

    def headers(self) -> dict[str, str]:
        window = int(self.window_s) if float(self.window_s).is_integer() else self.window_s
        found = {"RateLimit-Policy": f'"{POLICY}";q={self.limit};w={window}',
                 "RateLimit": f'"{POLICY}";r={self.remaining};t={self.reset_s}'}
        if self.retry_after_s is not None:
            found["Retry-After"] = str(self.retry_after_s)
        return found


class TokenBucketLimiter:
    """`limit` requests per `window_s` seconds for each key, thread-safe."""

    def __init__(self, limit: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.rate = limit / window_s  # requests regained per second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, key: str) -> Decision:
        """Spend one request of `key`'s quota if there is one left."""
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(key, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - then) * self.rate)
            if tokens >= 1:
                tokens -= 1
                self._buckets[key] = (tokens, now)
                self._prune()
                reset = math.ceil((self.limit - tokens) / self.rate)
                return Decision(True, self.limit, self.window_s, math.floor(tokens), reset)
            self._buckets[key] = (tokens, now)
            wait = max(1, math.ceil((1 - tokens) / self.rate))
            return Decision(False, self.limit, self.window_s, 0, wait, retry_after_s=wait)

    def _prune(self) -> None:
        if len(self._buckets) <= _MAX_BUCKETS:
            return
        now = self._clock()
        for key, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * self.rate >= self.limit:
                del self._buckets[key]


def spend(request: Request, limiter: TokenBucketLimiter, key: str, who: str = "this client") -> Decision:
    """Spend one request of `key`'s quota; a 429 problem with Retry-After when none is left.
    The decision waits in request.state for RateLimitHeaders to announce it on the answer."""
    decision = limiter.take(key)
    setattr(request.state, STATE_KEY, decision)  # noqa: B010 (a name shared with the middleware)
    if not decision.allowed:
        raise ProblemException(
            429, f"too many requests: {who} may send {decision.limit} every "
            f"{decision.window_s:g} s. Retry in {decision.retry_after_s} s.",
            headers={"Retry-After": str(decision.retry_after_s)})
    return decision


class RateLimitHeaders:
    """ASGI middleware: put the RateLimit fields of the request's decision on its response,
    whatever the response is (a success, a 404, the 429 itself)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            decision = scope["state"].get(STATE_KEY)
            if message["type"] == "http.response.start" and isinstance(decision, Decision):
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name.lower().encode(), value.encode())
                         for name, value in decision.headers().items()
                         if name.lower().encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
