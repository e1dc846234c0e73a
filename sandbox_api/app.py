"""Build the sandbox app: `create_app(settings)` creates everything, nothing happens at import."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from sandbox_api import docs
from sandbox_api.db import BookshopDB
from sandbox_api.features import identity
from sandbox_api.methods import HeadAsGet
from sandbox_api.problems import install_problem_handlers
from sandbox_api.routers import admin, authors, books, problems
from sandbox_api.settings import SandboxSettings


def _operation_id(route: APIRoute) -> str:
    return route.name  # short, stable ids such as `create_book` for generated clients


def create_app(settings: SandboxSettings | None = None) -> FastAPI:
    """A sandbox app whose database has just been filled with the seed data."""
    settings = settings or SandboxSettings()
    cleanups: list[weakref.finalize] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # uvicorn ends on SIGTERM by re-raising the signal, so atexit hooks never run: clean
        # the temporary database up at shutdown instead
        for cleanup in cleanups:
            cleanup()

    app = FastAPI(
        lifespan=lifespan,
        title=docs.TITLE,
        version=docs.VERSION,
        description=docs.DESCRIPTION,
        openapi_tags=docs.TAGS + identity.TAGS,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    db_path = settings.db_path
    if db_path is None:
        directory = tempfile.mkdtemp(prefix="apilab-sandbox-")
        cleanups.append(weakref.finalize(app, shutil.rmtree, directory, ignore_errors=True))
        db_path = Path(directory) / "bookshop.sqlite"
    app.state.db = BookshopDB(db_path)
    app.state.db.reset(settings.seed)

    install_problem_handlers(app)
    app.add_middleware(HeadAsGet)
    for module in (books, authors, admin, problems):
        app.include_router(module.router)
    identity.install(app, db_path.with_name(db_path.stem + "-identity.sqlite"), settings.seed)

    @app.get("/", tags=["service"], name="index")
    def index() -> dict[str, Any]:
        """Where to start: the collections and the documentation."""
        return {
            "books": "/books",
            "authors": "/authors",
            "docs": "/docs",
            "openapi": "/openapi.json",
        }

    return app
