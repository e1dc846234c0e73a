"""Build the hub: `create_hub_app(settings)` opens the store and wires everything; nothing
happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from httpkit.bodies import JSON_BODIES
from httpkit.handlers import install_problem_handlers, problem_type_router
from httpkit.methods import HeadAsGet
from httpkit.openapi import problem_document
from httpkit.problems import STANDARD, ProblemType
from httpkit.ratelimit import RateLimitHeaders, TokenBucketLimiter
from hub.intake import document_limits
from hub.middleware import BodyLimit, DefaultHeaders
from hub.protocol import SubmissionIn
from hub.routers import captures, certificates, cohort, feedback, me, reviews, service, submissions
from hub.settings import HubSettings
from hub.store import HubStore

VERSION = "1.0.0"
DESCRIPTION = """\
The hub carries grader reports from learners to mentors, and feedback back. It is also a
worked example of what the course teaches:

- **Authentication**: `Authorization: Bearer apilab_...`, tokens made by
  `apilab hub add-user`. No or bad token: 401 with `WWW-Authenticate: Bearer`; a valid token
  whose role may not do something: 403. Learners can see only their own submissions; anyone
  else's answers 404, as if it did not exist (OWASP API1).
- **Idempotent writes**: the learner's app picks a submission's id (a UUID) and PUTs it; a
  resend after a lost answer is harmless (201 the first time, 200 after). Reports are kept
  byte for byte; bodies may be sent with `Content-Encoding: gzip`.
- **Errors** are RFC 9457 problems (`application/problem+json`), whose `status` equals the
  HTTP status; each `type` URI explains itself.
- **Conditional requests**: submissions carry an `ETag`; `If-None-Match` answers 304 when
  nothing changed, and `If-Match` on a review answers 412 when another mentor got there first.
- **Pagination**: lists answer `{"items": [...], "next_cursor": ...}` and
  `Link: <...>; rel="next"`.
- **Rate limits**: a quota per token, stated in `RateLimit-Policy` and `RateLimit`;
  beyond it, 429 with `Retry-After`. Each learner also has a storage quota (413 when full)
  and an hourly budget of report bytes (429).
"""
TAGS = [
    {"name": "me", "description": "Who your token belongs to."},
    {"name": "submissions", "description": "Grader runs sent by learners, each with its full "
                                           "report. Learners write and read their own; mentors "
                                           "read all."},
    {"name": "feedback", "description": "Mentors' Markdown notes on a submission or a single "
                                        "check, and the stream that syncs them to learners."},
    {"name": "reviews", "description": "A mentor's verdict (approved or changes requested), "
                                       "with an optional score override and its reason."},
    {"name": "cohort", "description": "How the whole cohort does on an exercise, and the "
                                      "gradebook (mentors)."},
    {"name": "certificates", "description": "Certificates of completion, signed by the hub "
                                            "(Ed25519); anyone with an id can check one."},
    {"name": "captures", "description": "Security lab challenges each learner captured the flag "
                                        "of. Learners write and read their own; mentors read all."},
    {"name": "service", "description": "Outside the versioned API: health and problem types."},
]

# The kit's problem types, and the hub's own: who may do what, and how much a learner may store.
PROBLEM_TYPES = STANDARD.copy()
PROBLEM_TYPES.register(
    ProblemType("quota-exceeded", "Storage quota reached", 413, "Your reports on this hub "
                "reached the storage quota each learner has. Ask your mentor to make room."),
    ProblemType("upload-rate-limited", "Too much sent this hour", 429, "You sent more report "
                "bytes in the last hour than each learner may. Wait for the seconds in "
                "Retry-After; your submissions are kept and sent then."))
PROBLEM_TYPES.register(
    ProblemType("unauthorized", "Authentication required", 401, "Send a valid hub token: "
                "Authorization: Bearer apilab_... (the WWW-Authenticate header says why this one "
                "was refused). Ask your mentor for a token."),
    ProblemType("forbidden", "Not allowed for your role", 403, "Your token is valid but your "
                "role (learner or mentor) may not do this."),
    ProblemType("not-found", "Not Found", 404, "There is nothing here that you can see."),
    replace=True)


def _operation_id(route: APIRoute) -> str:
    return route.name  # short, stable ids such as `put_submission` for generated clients


def create_hub_app(settings: HubSettings | None = None, serving: bool = False) -> FastAPI:
    """A hub app over the database `settings.db_path` (created and migrated if needed). With
    `serving`, the app claims the file: a second hub on it refuses to start (HubStoreError)."""
    settings = settings or HubSettings()
    store = HubStore(settings.db_path)
    if serving:
        try:
            store.claim_for_serving()
        except BaseException:
            store.close()
            raise

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(title="apilab hub", version=VERSION, description=DESCRIPTION,
                  openapi_tags=TAGS, generate_unique_id_function=_operation_id,
                  lifespan=lifespan, dependencies=JSON_BODIES)
    app.state.settings = settings
    app.state.store = store
    app.state.limiter = TokenBucketLimiter(settings.rate_limit, settings.rate_window_s)

    install_problem_handlers(app, PROBLEM_TYPES, server="the hub")
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(DefaultHeaders)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeadAsGet)
    app.include_router(service.router)
    app.include_router(problem_type_router(tags=["service"]))
    for module in (me, submissions, feedback, reviews, cohort, certificates, captures):
        app.include_router(module.router, prefix="/v1")
    app.openapi = lambda: _document(app)  # type: ignore[method-assign]
    return app


def _document(app: FastAPI) -> dict[str, Any]:
    """The kit's document (errors typed as problems), with the submission body added (it is
    read by its route, after the token, so FastAPI does not know its schema) and the limits
    the hub's intake sets on it."""
    if app.openapi_schema is None:
        document = problem_document(app)
        body = SubmissionIn.model_json_schema(ref_template="#/components/schemas/{model}")
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(body.pop("$defs", {}))
        components["SubmissionIn"] = body
        document_limits(components, app.state.settings.max_checks)
    return app.openapi_schema
