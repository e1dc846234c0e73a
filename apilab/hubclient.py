"""HubClient: how the learner's and mentor's apps talk to a hub (synchronous, httpx).

    with HubClient("https://hub.example.org", token) as hub:
        created = hub.put_submission(run_id, report.to_json(), "submit")
        for item in hub.feedback_since(last_seq): ...

Every failure is a HubError carrying the request it belongs to, the HTTP status (if an answer
came) and the problem document (if the hub sent one):

    HubError                  the hub refused the request, or could not be asked
    ├── HubUnavailable        unreachable, timed out, or a 5xx: keep the work, retry later
    │   └── HubRateLimited    429: retry after `retry_after` seconds
    ├── HubAuthError          401 or 403: the token is missing, wrong, revoked or lacks the role
    ├── HubNotFound           404: no such thing, or not yours to see
    └── HubConflict           409: the submission id already holds a different report

So a caller with an outbox keeps an item on HubUnavailable and drops or flags it otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from hub.protocol import PROBLEM_MEDIA_TYPE


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


_BY_STATUS: dict[int, type[HubError]] = {401: HubAuthError, 403: HubAuthError,
                                         404: HubNotFound, 409: HubConflict}


class HubClient:
    """A connection to the hub at `base_url`, authenticated by `token`."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                     "User-Agent": "apilab-hub-client/1"})
        self._etags: dict[str, tuple[str, dict[str, Any]]] = {}  # submission id -> (ETag, body)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the API --------------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """{"name": ..., "role": "learner" | "mentor"}: also a quick test of the token."""
        return _json(self._request("GET", "/v1/me"))

    def put_submission(self, submission_id: str, report_json: str, kind: str) -> bool:
        """Send a grader run under its id; True if the hub stored it now, False if it already
        had it (a resend). Safe to repeat: that is what the id is for."""
        # the report is spliced in as it is, so what the hub stores is byte for byte what we have
        body = f'{{"kind": {json.dumps(kind)}, "report": {report_json}}}'
        response = self._request("PUT", f"/v1/submissions/{submission_id}", content=body,
                                 headers={"Content-Type": "application/json"})
        return response.status_code == 201

    def submissions(self, **filters: str | int) -> Iterator[dict[str, Any]]:
        """Every submission the token may see that matches `filters` (exercise, learner,
        status, review, kind, limit), newest first, following the pages' Link rel="next"."""
        response = self._request("GET", "/v1/submissions", params=filters)
        while True:
            yield from _json(response)["items"]
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            response = self._request("GET", next_url)

    def submission(self, submission_id: str) -> dict[str, Any]:
        """One submission with its report and review; revalidated with its ETag when seen
        before, so an unchanged submission is not downloaded again."""
        cached = self._etags.get(submission_id)
        headers = {"If-None-Match": cached[0]} if cached else {}
        response = self._request("GET", f"/v1/submissions/{submission_id}", headers=headers)
        if response.status_code == 304 and cached:
            return cached[1]
        body = _json(response)
        if etag := response.headers.get("ETag"):
            self._etags[submission_id] = (etag, body)
        return body

    def feedback_on(self, submission_id: str) -> list[dict[str, Any]]:
        return _json(self._request("GET", f"/v1/submissions/{submission_id}/feedback"))["items"]

    def add_feedback(self, submission_id: str, body: str,
                     check_id: str | None = None) -> dict[str, Any]:
        """A mentor's Markdown note on a submission, or on one of its checks."""
        return _json(self._request("POST", f"/v1/submissions/{submission_id}/feedback",
                                   json={"body": body, "check_id": check_id}))

    def feedback_since(self, cursor_or_time: int | datetime = 0) -> list[dict[str, Any]]:
        """Every feedback item (notes and reviews) after sequence number N, or written at or
        after a time, oldest first. Keep the highest `seq` you received for the next call."""
        params: dict[str, Any] = {"limit": 100}
        if isinstance(cursor_or_time, datetime):
            params["since"] = cursor_or_time.isoformat()
        else:
            params["after"] = cursor_or_time
        items: list[dict[str, Any]] = []
        response = self._request("GET", "/v1/feedback", params=params)
        while True:
            items += _json(response)["items"]
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return items
            response = self._request("GET", next_url)

    def review(self, submission_id: str, verdict: str, score_override: int | None = None,
               reason: str | None = None, body: str = "",
               if_match: str | None = None) -> dict[str, Any]:
        """Approve ("approved") or send back ("changes_requested") a submission; a score
        override needs a reason. `if_match` (an ETag) refuses the change if it moved since."""
        headers = {"If-Match": if_match} if if_match else {}
        return _json(self._request(
            "PUT", f"/v1/submissions/{submission_id}/review", headers=headers,
            json={"verdict": verdict, "score_override": score_override, "reason": reason,
                  "body": body}))

    def cohort_stats(self, exercise: str, kind: str | None = None) -> dict[str, Any]:
        """Each check's pass rate over learners' latest submissions, and the most failing."""
        params = {"kind": kind} if kind else {}
        return _json(self._request("GET", f"/v1/cohort/exercises/{exercise}/stats",
                                   params=params))

    # --- the wire -------------------------------------------------------------------------------

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise HubUnavailable(
                f"the hub at {self.base_url} did not answer {method} {url} within "
                f"{self.timeout:g} s; try again later", request=exc.request) from exc
        except httpx.TransportError as exc:
            raise HubUnavailable(
                f"cannot reach the hub at {self.base_url} ({exc.__class__.__name__}: {exc}); "
                "it may be down, or the address may be wrong", request=exc.request) from exc
        if response.status_code < 400 or response.status_code == 304:
            return response
        raise _error(response)


def _json(response: httpx.Response) -> Any:
    """The body as JSON; a HubError when it is not, which usually means a wrong address."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("content-type") or "no Content-Type"
        raise HubError(f"{response.request.url} answered with something that is not JSON ({kind}); "
                       "is this the address of an apilab hub?", request=response.request,
                       status=response.status_code) from None


def _error(response: httpx.Response) -> HubError:
    request, status = response.request, response.status_code
    problem: dict[str, Any] = {}
    content_type = response.headers.get("content-type", "")
    if content_type.startswith((PROBLEM_MEDIA_TYPE, "application/json")):
        try:
            problem = response.json()
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
