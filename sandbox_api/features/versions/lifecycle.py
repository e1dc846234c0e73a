"""Each version's place in its life cycle, and how the API says so.

- v0 is retired: every request under /v0 answers `410 Gone`, a problem pointing to the
  migration guide (RFC 9110 section 15.5.11: gone for good, and known to be).
- v1 is deprecated: every response under /v1, errors included, carries `Deprecation` (RFC 9745,
  a structured-field date: `@` and seconds since 1970), `Sunset` (RFC 8594, an HTTP-date, the
  moment it stops answering) and `Link`s with rel `deprecation` (the migration guide),
  `successor-version` (this URL in v2, RFC 5829) and `sunset` (the version policy).
- v2 is current: it announces nothing.

`/versions` lists the versions with their dates; `/versions/{version}/migration` is the
changelog a client of that version reads to move to v2.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from httpkit.conditional import http_date
from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException, ProblemType

V1_DEPRECATED = datetime(2026, 7, 1, tzinfo=UTC)
V1_SUNSET = datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC)
V0_RETIRED = datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC)
CURRENT = "v2"
POLICY = ("A version is deprecated at least 12 months before its sunset. From its deprecation "
          "on, each of its responses carries Deprecation, Sunset and Link headers; after its "
          "sunset it answers 410 Gone.")

VERSION_RETIRED = ProblemType(
    "version-retired", "API version retired", 410,
    "This version of the API has passed its sunset and no longer answers. The problem's "
    "`migration_guide` says how to move to the current version, and `/versions` lists them all.")

# The deprecation headers of v1 that do not depend on the request.
DEPRECATION = f"@{int(V1_DEPRECATED.timestamp())}"  # RFC 9745: an sf-date, @seconds
SUNSET = http_date(V1_SUNSET)  # RFC 8594: an IMF-fixdate


def v1_links(request_url: str, base_url: str) -> str:
    """The Link field value of a v1 response to `request_url` (absolute URLs throughout)."""
    base = base_url.rstrip("/")
    successor = request_url.replace(f"{base}/v1", f"{base}/{CURRENT}", 1)
    return (f'<{successor}>; rel="successor-version", '
            f'<{base}/versions/v1/migration>; rel="deprecation"; type="application/json", '
            f'<{base}/versions>; rel="sunset"; type="application/json"')


class AnnounceDeprecation:
    """ASGI middleware: every response under /v1, whatever its status, says that v1 is
    deprecated, when it ends, and where to go instead. Added as an ASGI layer rather than in
    each route so that no answer can forget it: 404s, 405s and 422s included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/v1" or path.startswith("/v1/")):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        fields = [("deprecation", DEPRECATION), ("sunset", SUNSET),
                  ("link", v1_links(str(request.url), str(request.base_url)))]
        extra = [(name.encode(), value.encode()) for name, value in fields]

        async def send_announced(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_announced)


# --- the retired v0 -----------------------------------------------------------------------------

retired = APIRouter(prefix="/v0", tags=["versions"])
_ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def v0_retired(request: Request) -> None:
    """Every request under /v0 answers `410 Gone`: the version has passed its sunset."""
    guide = str(request.url_for("migration_guide", version="v0"))
    raise ProblemException(
        410, f"v0 was retired on {http_date(V0_RETIRED)}; use {CURRENT}, as the migration guide "
        "explains", "version-retired", migration_guide=guide,
        headers={"Link": f'<{guide}>; rel="help"'})


# A retired version is no longer documented (only /versions names it), yet it still answers,
# so that a client that was never updated learns why it stopped working.
retired.add_api_route("", v0_retired, methods=_ANY_METHOD, include_in_schema=False)
retired.add_api_route("/{rest:path}", v0_retired, methods=_ANY_METHOD, include_in_schema=False)


# --- the versions and their changelogs ----------------------------------------------------------

Status = Literal["retired", "deprecated", "current"]


class VersionInfo(BaseModel):
    version: str = Field(examples=["v1"])
    status: Status
    deprecated_at: datetime | None = Field(description="RFC 3339; null while it is current.")
    sunset_at: datetime | None = Field(description="When it stops (or stopped) answering.")
    openapi: str | None = Field(description="Its OpenAPI document; null once it is retired.")
    migration_guide: str | None = Field(description="How to move from it to the current one.")


class Versions(BaseModel):
    current: str
    policy: str
    versions: list[VersionInfo]


class Change(BaseModel):
    kind: Literal["breaking", "non-breaking"]
    change: str = Field(description="What changed, in a sentence.")
    before: str | None = Field(description="How the old version says it.")
    after: str | None = Field(description="How the current version says it.")


class Guide(BaseModel):
    version: str
    successor: str
    changes: list[Change]


_V1_CHANGES = [
    Change(kind="breaking", change="A book's author became a list of authors, first author first.",
           before='"author_id": 3', after='"author_ids": [3, 7]'),
    Change(kind="breaking", change="Prices are in minor units, with their currency.",
           before='"price": 21.5', after='"price": {"amount": 2150, "currency": "EUR"}'),
    Change(kind="breaking", change="`genre` is renamed `category`, in books and as a filter.",
           before='"genre": "poetry", ?genre=poetry', after='"category": "poetry", ?category=poetry'),
    Change(kind="breaking", change="When a book was added is an RFC 3339 date-time in UTC.",
           before='"added": 1717171717', after='"added_at": "2024-05-31T16:08:37Z"'),
    Change(kind="non-breaking", change="Books may have up to five authors; v1 shows the first.",
           before=None, after='"author_ids": [3, 7]'),
]
_V0_CHANGES = [
    Change(kind="breaking", change="v0 is retired; every change from v1 to v2 applies as well "
           "(see /versions/v1/migration).", before="/v0/...", after="/v2/..."),
]
GUIDES = {"v0": Guide(version="v0", successor=CURRENT, changes=_V0_CHANGES),
          "v1": Guide(version="v1", successor=CURRENT, changes=_V1_CHANGES)}

catalogue = APIRouter(prefix="/versions", tags=["versions"])


@catalogue.get("", name="versions", response_model=Versions)
def versions(request: Request) -> Any:
    """Every version of the catalogue API, its status and its dates: the version policy."""
    def guide(version: str) -> str:
        return str(request.url_for("migration_guide", version=version))

    return Versions(current=CURRENT, policy=POLICY, versions=[
        VersionInfo(version="v0", status="retired", deprecated_at=None, sunset_at=V0_RETIRED,
                    openapi=None, migration_guide=guide("v0")),
        VersionInfo(version="v1", status="deprecated", deprecated_at=V1_DEPRECATED,
                    sunset_at=V1_SUNSET, openapi=str(request.url_for("openapi_v1")),
                    migration_guide=guide("v1")),
        VersionInfo(version="v2", status="current", deprecated_at=None, sunset_at=None,
                    openapi=str(request.url_for("openapi_v2")), migration_guide=None),
    ])


@catalogue.get("/{version}/migration", name="migration_guide", response_model=Guide,
               responses=problem_responses({404: "No version has this name, or it is current."}))
def migration_guide(version: str) -> Any:
    """The changelog from `version` to the current one: each change, breaking or not, and how
    the old and new versions say it."""
    if version not in GUIDES:
        raise ProblemException(404, f"no migration guide from {version!r}; there are guides "
                               f"from {', '.join(GUIDES)}")
    return GUIDES[version]
