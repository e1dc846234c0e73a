"""Dependencies shared by the core and the features, as `Annotated` aliases so route signatures
stay short."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sandbox_api.database import SQLITE_INT_MAX, SandboxDB
from sandbox_api.settings import SandboxSettings


async def get_db(request: Request) -> SandboxDB:
    return request.app.state.db


async def get_settings(request: Request) -> SandboxSettings:
    return request.app.state.settings


DbDep = Annotated[SandboxDB, Depends(get_db)]
SettingsDep = Annotated[SandboxSettings, Depends(get_settings)]


def row_id(segment: str) -> int | None:
    """The row id an opaque path segment names, or None when it names none of ours.

    Ids are opaque to clients: `/books/7` exists because the server said so (in `Location`,
    in a list). `/books/abc`, `/books/07` or `/books/-1` are simply URIs with nothing behind
    them, so they answer 404 like any other unknown id, never 422.
    """
    if not segment.isascii() or not segment.isdigit() or segment != str(int(segment)):
        return None
    value = int(segment)
    return value if 0 < value <= SQLITE_INT_MAX else None
