"""HubClient: how the learner's and mentor's apps talk to a hub (synchronous, httpx), in the typed
models of `hub.protocol`.

    with HubClient("https://hub.example.org", token) as hub:
        created = hub.put_submission(run_id, report.to_json(), "submit")
        for item in hub.feedback_since(last_seq): ...

Every failure is a HubError carrying the request it belongs to, the HTTP status (if an answer
came) and the problem document (if the hub sent one):

    HubError                    the hub refused the request, or could not be asked
    ├── HubUnavailable          unreachable, timed out, or a 5xx: keep the work, retry later
    │   └── HubRateLimited      429: retry after `retry_after` seconds
    ├── HubAuthError            401 or 403: the token is missing, wrong, revoked or lacks the role
    ├── HubNotFound             404: no such thing, or not yours to see
    ├── HubConflict             409: the submission id already holds a different report
    ├── HubPreconditionFailed   412: someone changed it since you read it (If-Match)
    └── HubUnreadable           an answer this version cannot read (or not a hub's at all)

So a caller with an outbox keeps an item on HubUnavailable and drops or flags it otherwise.

An answer's list is read item by item (`hub.protocol.Item`): an item this version cannot read
is an `Unreadable` in its place, saying why, and the others are returned as models. Only an
answer whose envelope cannot be read is a HubUnreadable.

Reports are sent gzip-compressed and exactly as given (never parsed and dumped again), and the
time allowed for an upload grows with its size. Given `relogin`, a client whose token is refused
asks it for the current one (a new `apilab login` in another terminal) and tries once more.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from hub.protocol import (
    PROBLEM_MEDIA_TYPE,
    Capture,
    CaptureIn,
    CapturePage,
    CohortProgress,
    CohortStats,
    Feedback,
    FeedbackPage,
    Me,
    SigningKey,
    StuckPage,
    SubmissionDetail,
    SubmissionPage,
    SubmissionSummary,
    Unreadable,
    envelope,
    unreadable_because,
)

if TYPE_CHECKING:
    import ssl

    import httpx

M = TypeVar("M", bound=BaseModel)
COMPRESS_FROM = 1024  # bytes: smaller bodies gain nothing from gzip
UPLOAD_BYTES_PER_S = 100_000  # the slowest link an upload's time limit allows for
UPLOAD_WAIT_S = 30.0  # and the longest a busy hub may take to answer once it has the body


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS context every hub client of the process verifies the hub with, built as httpx
    builds one (certifi's certificates, or SSL_CERT_FILE / SSL_CERT_DIR) but once: building one
    loads every CA certificate, about 20 ms of CPU, and the app opens a client at every sync."""
    import httpx

    return httpx.create_ssl_context()


class HubError(Exception):
    def __init__(self, message: str, request: httpx.Request | None = None,
                 status: int | None = None, problem: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.request = request
        self.status = status
        self.problem = problem or {}


class HubUnavailable(HubError):
    """The hub could not be reached, did not answer in time, or failed (5xx)."""


class HubRateLimited(HubUnavailable):
    def __init__(self, message: str, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class HubAuthError(HubError):
    """401 or 403."""


class HubNotFound(HubError):
    """404."""


class HubConflict(HubError):
    """409."""


class HubPreconditionFailed(HubError):
    """412: the resource changed since it was read; read it again before deciding."""


class HubUnreadable(HubError):
    """The hub answered with something this version cannot read: not JSON, or JSON of another
    shape (a newer hub, a broken one, or not a hub at all)."""


_BY_STATUS: dict[int, type[HubError]] = {401: HubAuthError, 403: HubAuthError,
                                         404: HubNotFound, 409: HubConflict,
                                         412: HubPreconditionFailed}


class HubClient:
    """A connection to the hub at `base_url`, authenticated by `token` (empty for the public
    routes, such as checking a certificate). `timeout` bounds
    connecting and each answer; uploads get more time, in proportion to their size."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None,
                 relogin: Callable[[], str | None] | None = None) -> None:
        # httpx (with the click, rich and pygments of its command line) takes longer to load
        # than the rest of an everyday command: it is loaded when a hub is contacted, not before.
        import httpx

        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._relogin = relogin
        self._token = token
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport, verify=_tls(),
            headers={"Accept": "application/json", "User-Agent": "apilab-hub-client/2"})
        self._cache: dict[str, SubmissionDetail] = {}  # submission id -> as last read

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the API --------------------------------------------------------------------------------

    def me(self) -> Me:
        """Who the token belongs to: also a quick test of the token."""
        return _model(self._request("GET", "/v1/me"), Me)

    def put_submission(self, submission_id: str, report_json: str, kind: str) -> bool:
        """Send a grader run under its id; True if the hub stored it now, False if it already
        had it (a resend). Safe to repeat: that is what the id is for. The report goes exactly
        as given, so what the hub stores is byte for byte what this machine has."""
        body = envelope(kind, report_json).encode()
        headers = {"Content-Type": "application/json"}
        if len(body) >= COMPRESS_FROM:
            body = gzip.compress(body, compresslevel=6)
            headers["Content-Encoding"] = "gzip"
        response = self._request("PUT", f"/v1/submissions/{submission_id}", content=body,
                                 headers=headers, timeout=self.upload_timeout(len(body)))
        return response.status_code == 201

    def put_capture(self, challenge: str, category: str, captured_at: str) -> bool:
        """Tell the hub that the learner captured a security lab challenge; True if the hub
        recorded it now, False if it had it already. Safe to repeat."""
        body = CaptureIn(category=category, captured_at=captured_at).model_dump_json()
        response = self._request("PUT", f"/v1/captures/{challenge}", content=body.encode(),
                                 headers={"Content-Type": "application/json"})
        return response.status_code == 201

    def captures(self) -> list[Capture | Unreadable]:
        """The captures the token may see: a learner's own, or every learner's for a mentor."""
        return _model(self._request("GET", "/v1/captures"), CapturePage).items

    def upload_timeout(self, size: int) -> httpx.Timeout:
        """Connecting is quick or not at all; sending `size` bytes and hearing back may take
        a while when many learners submit at once, and giving up early only sends it again."""
        import httpx

        long = max(self.timeout, UPLOAD_WAIT_S) + size / UPLOAD_BYTES_PER_S
        return httpx.Timeout(long, connect=self.timeout)

    def submissions_page(self, cursor: str | None = None, **filters: str | int) -> SubmissionPage:
        """One page of the submissions the token may see that match `filters` (exercise,
        learner, status, review, kind, view, limit), newest first; `cursor` is the previous
        page's next_cursor."""
        params = {name: value for name, value in filters.items() if value not in (None, "")}
        if cursor:
            params["cursor"] = cursor
        return _model(self._request("GET", "/v1/submissions", params=params), SubmissionPage)

    def submissions(self, **filters: str | int) -> Iterator[SubmissionSummary | Unreadable]:
        """Every submission matching `filters`, following the pages to the end. For a screen,
        prefer `submissions_page`: a large cohort is many pages."""
        cursor: str | None = None
        while True:
            page = self.submissions_page(cursor, **filters)
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def submission(self, submission_id: str) -> SubmissionDetail:
        """One submission with its report (as sent) and its ETag; revalidated with that ETag
        when seen before, so an unchanged submission is not downloaded again."""
        cached = self._cache.get(submission_id)
        headers = {"If-None-Match": cached.etag} if cached and cached.etag else {}
        response = self._request("GET", f"/v1/submissions/{submission_id}", headers=headers)
        if response.status_code == 304 and cached:
            return cached
        try:
            detail = SubmissionDetail.from_wire(response.text, response.headers.get("ETag"))
        except (ValueError, ValidationError) as exc:
            raise _unreadable(response, exc) from None
        if detail.etag:
            self._cache[submission_id] = detail
        return detail

    def feedback_on(self, submission_id: str) -> list[Feedback | Unreadable]:
        """The feedback thread of a submission, oldest first."""
        response = self._request("GET", f"/v1/submissions/{submission_id}/feedback")
        return _model(response, FeedbackPage).items

    def add_feedback(self, submission_id: str, body: str,
                     check_id: str | None = None) -> Feedback:
        """A mentor's Markdown note on a submission, or on one of its checks."""
        return _model(self._request("POST", f"/v1/submissions/{submission_id}/feedback",
                                    json={"body": body, "check_id": check_id}), Feedback)

    def feedback_since(self, cursor_or_time: int | datetime = 0) -> list[Feedback | Unreadable]:
        """Every feedback item (notes and reviews) after sequence number N, or written at or
        after a time, oldest first. Keep the highest `seq` you received for the next call; an
        Unreadable has none, so stop before it to ask for it again once apilab is updated."""
        params: dict[str, Any] = {"limit": 100}
        if isinstance(cursor_or_time, datetime):
            params["since"] = cursor_or_time.isoformat()
        else:
            params["after"] = cursor_or_time
        items: list[Feedback | Unreadable] = []
        response = self._request("GET", "/v1/feedback", params=params)
        while True:
            items += _model(response, FeedbackPage).items
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return items
            response = self._request("GET", next_url)

    def review(self, submission_id: str, verdict: str, score_override: int | None = None,
               reason: str | None = None, body: str = "",
               if_match: str | None = None) -> SubmissionSummary:
        """Approve ("approved") or send back ("changes_requested") a submission; a score
        override needs a reason. With `if_match` (the ETag it was read with), a submission that
        another mentor reviewed meanwhile raises HubPreconditionFailed instead of being
        overwritten."""
        headers = {"If-Match": if_match} if if_match else {}
        response = self._request(
            "PUT", f"/v1/submissions/{submission_id}/review", headers=headers,
            json={"verdict": verdict, "score_override": score_override, "reason": reason,
                  "body": body})
        self._cache.pop(submission_id, None)  # its review and ETag changed
        return _model(response, SubmissionSummary)

    def cohort_stats(self, exercise: str, kind: str | None = None) -> CohortStats:
        """Each check's pass rate over learners' latest submissions, and the most failing."""
        params = {"kind": kind} if kind else {}
        return _model(self._request("GET", f"/v1/cohort/exercises/{exercise}/stats",
                                    params=params), CohortStats)

    def cohort_progress(self, limit: int | None = None) -> CohortProgress:
        """Per exercise: learners started, passed, approved, stuck; and the first page (of
        `limit`, or the hub's default) of who is stuck."""
        params = {"limit": limit} if limit else {}
        return _model(self._request("GET", "/v1/cohort/progress", params=params), CohortProgress)

    def stuck_page(self, cursor: str, limit: int | None = None) -> StuckPage:
        """The next page of who is stuck: `cursor` is `stuck_next_cursor` of the progress, or
        `next_cursor` of the previous page."""
        params: dict[str, str | int] = {"cursor": cursor, **({"limit": limit} if limit else {})}
        return _model(self._request("GET", "/v1/cohort/stuck", params=params), StuckPage)

    def issue_certificate(self) -> str:
        """Ask the hub for the learner's certificate; the signed document as issued (JSON).
        HubConflict while an exercise has no approved submission: its problem's `missing`
        names them."""
        return self._request("POST", "/v1/certificates").text

    def certificate(self, certificate_id: str) -> str:
        """A certificate as the hub issued it (needs no token)."""
        return self._request("GET", f"/v1/certificates/{certificate_id}").text

    def signing_key(self) -> SigningKey:
        """The hub's public key for certificates (needs no token)."""
        return _model(self._request("GET", "/v1/certificates/key"), SigningKey)

    # --- the wire -------------------------------------------------------------------------------

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self._send(method, url, **kwargs)
        if response.status_code == 401 and self._relogin is not None:
            current = self._relogin()
            if current and current != self._token:  # logged in again meanwhile: use it
                self._token = current
                response = self._send(method, url, **kwargs)
        if response.status_code < 400 or response.status_code == 304:
            return response
        raise _error(response)

    def _send(self, method: str, url: str, headers: dict[str, str] | None = None,
              **kwargs: Any) -> httpx.Response:
        import httpx

        headers = {**(headers or {})}
        if self._token:  # none for a third party checking a certificate
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            return self._http.request(method, url, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise HubUnavailable(
                f"the hub at {self.base_url} did not answer {method} {url} in time; "
                "try again later", request=exc.request) from exc
        except httpx.TransportError as exc:
            raise HubUnavailable(
                f"cannot reach the hub at {self.base_url} ({exc.__class__.__name__}: {exc}); "
                "it may be down, or the address may be wrong", request=exc.request) from exc


def _model(response: httpx.Response, model: type[M]) -> M:
    """The body as `model`; a HubError when it is not one (usually a wrong address)."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise _unreadable(response, exc) from None


def _unreadable(response: httpx.Response, exc: Exception) -> HubUnreadable:
    kind = response.headers.get("content-type") or "no Content-Type"
    if "json" not in kind:
        message = (f"{response.request.url} answered with something that is not JSON ({kind}); "
                   "is this the address of an apilab hub?")
    else:
        why = unreadable_because(exc) if isinstance(exc, ValidationError) else str(exc)
        message = (f"{response.request.url} answered with JSON this version of apilab cannot "
                   f"read ({why}); update apilab, or check the address")
    return HubUnreadable(message, request=response.request, status=response.status_code)


def _error(response: httpx.Response) -> HubError:
    request, status = response.request, response.status_code
    problem: dict[str, Any] = {}
    content_type = response.headers.get("content-type", "")
    if content_type.startswith((PROBLEM_MEDIA_TYPE, "application/json")):
        try:
            found = response.json()
            problem = found if isinstance(found, dict) else {}
        except ValueError:
            problem = {}
    detail = problem.get("detail") or response.reason_phrase or "no explanation"
    message = f"{request.method} {request.url.path} -> {status}: {detail}"
    if status == 429:
        retry_after = _seconds(response.headers.get("Retry-After"))
        return HubRateLimited(f"{message} (retry in {retry_after:g} s)", retry_after,
                              request=request, status=status, problem=problem)
    if status >= 500:
        return HubUnavailable(f"the hub failed: {message}", request=request, status=status,
                              problem=problem)
    kind = _BY_STATUS.get(status, HubError)
    return kind(message, request=request, status=status, problem=problem)


def _seconds(retry_after: str | None) -> float:
    try:
        return max(0.0, float(retry_after)) if retry_after else 1.0
    except ValueError:  # an HTTP-date; the hub does not send those, a proxy might
        return 60.0
