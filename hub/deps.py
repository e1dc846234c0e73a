"""Dependencies shared by the routers, as `Annotated` aliases so route signatures stay short."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request

from apilab.catalog.models import Course
from httpkit.problems import ProblemException
from hub.settings import HubSettings
from hub.store import HubStore


# `async` for the dependencies that do no I/O: FastAPI runs a sync one in a worker thread, and
# the hop costs more than the work.
async def _store(request: Request) -> HubStore:
    return request.app.state.store


async def _settings(request: Request) -> HubSettings:
    return request.app.state.settings


async def _course(request: Request) -> Course:
    return course_of(request.app)


def course_of(app: Any) -> Course:
    """The course the hub certifies, loaded once, when first needed."""
    course = getattr(app.state, "course", None)
    if course is None:
        from apilab.catalog.loader import load_course
        from apilab.paths import course_root

        course = app.state.course = load_course(app.state.settings.course_root or course_root())
    return course


StoreDep = Annotated[HubStore, Depends(_store)]
CourseDep = Annotated[Course, Depends(_course)]
SettingsDep = Annotated[HubSettings, Depends(_settings)]


async def _page_limit(settings: SettingsDep, limit: Annotated[int | None, Query(
        ge=1, le=HubSettings.max_page_size,
        description="Items per page (default 20, at most 100 unless the hub says "
                    "otherwise).")] = None) -> int:
    if limit is None:
        return settings.page_size
    if limit > settings.max_page_size:
        raise ProblemException(422, f"limit must be at most {settings.max_page_size}",
                               errors=[{"location": "query", "field": "limit",
                                        "message": f"at most {settings.max_page_size}",
                                        "type": "less_than_equal"}])
    return limit


PageLimit = Annotated[int, Depends(_page_limit)]
