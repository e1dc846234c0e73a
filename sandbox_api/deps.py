"""Dependencies shared by the routers, as `Annotated` aliases so route signatures stay short."""

from __future__ import annotations

from email.message import Message
from typing import Annotated

from fastapi import Depends, Query, Request

from sandbox_api.db import BookshopDB
from sandbox_api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from sandbox_api.problems import ProblemException
from sandbox_api.settings import SandboxSettings


def get_db(request: Request) -> BookshopDB:
    return request.app.state.db


def get_settings(request: Request) -> SandboxSettings:
    return request.app.state.settings


def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (application/json or any */*+json type)."""
    raw = request.headers.get("content-type", "")
    header = Message()
    header["content-type"] = raw
    subtype = header.get_content_subtype()
    if (
        raw
        and header.get_content_maintype() == "application"
        and (subtype == "json" or subtype.endswith("+json"))
    ):
        return
    sent = f"Content-Type: {raw}" if raw else "no Content-Type"
    raise ProblemException(
        415,
        f"the body must be JSON, sent with Content-Type: application/json ({sent} was sent)",
        headers={"Accept-Post": "application/json", "Accept-Patch": "application/json"},
    )


DbDep = Annotated[BookshopDB, Depends(get_db)]
SettingsDep = Annotated[SandboxSettings, Depends(get_settings)]
JsonBody = Depends(require_json)
Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}."),
]
Cursor = Annotated[
    str | None,
    Query(description="Opaque: copy it from `next_cursor` or the `Link` header of a page."),
]
__all__ = ["DEFAULT_LIMIT", "Cursor", "DbDep", "JsonBody", "Limit", "SettingsDep"]
