"""Lesson 3's catalogue with a history: the bookshop's books served as /v1 (deprecated, and
saying so in every response) and /v2 (current), a retired /v0 that answers 410 Gone, one
resource versioned by media type instead, and one OpenAPI document per version."""

from __future__ import annotations

from fastapi import FastAPI

from sandbox_api.feature import Feature
from sandbox_api.features.versions import documents, lifecycle, negotiation, routes, store
from sandbox_api.settings import SandboxSettings


def _setup(app: FastAPI, settings: SandboxSettings) -> None:
    app.add_middleware(lifecycle.AnnounceDeprecation)


FEATURE = Feature(
    name="versions",
    summary="Lesson 3: the same books as /v1 (deprecated) and /v2, a retired /v0, and a "
            "resource versioned by media type.",
    routers=[routes.v1, routes.v2, negotiation.router, lifecycle.retired, lifecycle.catalogue,
             documents.router],
    tags=[
        {"name": "v1", "description": "Deprecated: every answer carries Deprecation, Sunset and "
                                      "Link headers. The catalogue in its first shape."},
        {"name": "v2", "description": "Current: the same books, after four breaking changes "
                                      "(see /versions/v1/migration)."},
        {"name": "media type", "description": "One resource, versioned with Accept: "
                                              "application/vnd.apilab.book+json; version=N."},
        {"name": "versions", "description": "The version policy, each version's dates, the "
                                            "changelogs, and the retired v0 (410 Gone)."},
    ],
    schema=store.SCHEMA,
    seed=store.seed,
    setup=_setup,
    links={"v1": "/v1/books", "v2": "/v2/books", "versions": "/versions",
           "media type": "/catalog/books/1"},
    problem_types=[lifecycle.VERSION_RETIRED],
)
