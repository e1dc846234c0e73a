"""One OpenAPI document per version, at /v1/openapi.json and /v2/openapi.json, listing exactly
that version's operations: a client generates its code from the version it uses, and a diff of
the two documents is the start of a changelog. (The sandbox's /openapi.json lists everything.)"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter
from fastapi.openapi.utils import get_openapi

from httpkit.openapi import problems_typed
from sandbox_api.features.versions import routes
from sandbox_api.features.versions.lifecycle import POLICY, V1_SUNSET

router = APIRouter(tags=["versions"])
_ABOUT = {
    "v1": ("1.4.0", "The catalogue's first version. **Deprecated**: it stops answering on "
                    f"{V1_SUNSET:%Y-%m-%d}; move to v2 (see /versions/v1/migration). " + POLICY),
    "v2": ("2.0.0", "The catalogue's current version. Changes from v1: /versions/v1/migration."),
}


@functools.cache
def version_document(version: str) -> dict[str, Any]:
    """The OpenAPI document of `version`'s routes (its router's), made once per process."""
    semver, description = _ABOUT[version]
    return problems_typed(get_openapi(
        title=f"apilab catalogue {version}", version=semver, description=description,
        routes=routes.ROUTERS[version].routes,
        tags=[{"name": version, "description": f"Books, in {version}'s shape."}]))


@router.get("/v1/openapi.json", name="openapi_v1", include_in_schema=False)
def openapi_v1() -> dict[str, Any]:
    return version_document("v1")


@router.get("/v2/openapi.json", name="openapi_v2", include_in_schema=False)
def openapi_v2() -> dict[str, Any]:
    return version_document("v2")
