"""The core's routes, whatever features are mounted: where to start, a health check for
process managers, and a reset to the seed data."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from sandbox_api.deps import DbDep, SettingsDep
from sandbox_api.feature import Feature


class MountedFeature(BaseModel):
    name: str
    summary: str
    lab: bool = Field(description="Vulnerable on purpose, switched on for this run.")
    links: dict[str, str] = Field(description="Where its resources start.")


class Index(BaseModel):
    features: list[MountedFeature]
    docs: str
    openapi: str
    reset: str


class Health(BaseModel):
    status: str = Field(examples=["ok"])


def service_router(features: Sequence[Feature]) -> APIRouter:
    """`/`, `/health` and `/admin/reset` for an app serving `features`."""
    router = APIRouter(tags=["service"])
    index = Index(
        features=[MountedFeature(name=f.name, summary=f.summary, lab=f.lab, links=dict(f.links))
                  for f in features],
        docs="/docs", openapi="/openapi.json", reset="/admin/reset")

    @router.get("/", name="index", response_model=Index)
    def get_index() -> Index:
        """Where to start: the features this sandbox serves, and its documentation."""
        return index

    @router.get("/health", name="health", response_model=Health)
    def health() -> Health:
        """Answers `{"status": "ok"}` while the sandbox is up."""
        return Health(status="ok")

    @router.post("/admin/reset", name="reset", status_code=status.HTTP_204_NO_CONTENT,
                 response_class=Response)
    def reset(request: Request, db: DbDep, settings: SettingsDep) -> Response:
        """Throw away every change and reload every feature's seed data, in one transaction.
        Ids start from 1 again."""
        db.reset(request.app.state.features, settings.seed)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
