"""Service routes: a health check for process managers and a reset to the seed data."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from sandbox_api.deps import DbDep, SettingsDep

router = APIRouter(tags=["service"])


@router.get("/health", name="health")
def health() -> dict[str, str]:
    """Answers `{"status": "ok"}` while the sandbox is up."""
    return {"status": "ok"}


@router.post(
    "/admin/reset", name="reset", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
def reset(db: DbDep, settings: SettingsDep, request: Request) -> Response:
    """Throw away every change and reload the seed data. Ids start from 1 again."""
    db.reset(settings.seed)
    request.app.state.identity_server.store.reset(settings.seed)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
