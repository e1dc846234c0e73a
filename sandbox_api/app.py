"""Build the sandbox app: `create_app(settings)` creates everything, nothing happens at import."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute

from httpkit.bodies import JSON_BODIES
from httpkit.handlers import install_problem_handlers, problem_type_router
from httpkit.methods import HeadAsGet
from httpkit.openapi import install_problem_document
from httpkit.problems import STANDARD
from sandbox_api import docs
from sandbox_api.database import SandboxDB
from sandbox_api.feature import Feature, discover, select
from sandbox_api.labs import LabMarker
from sandbox_api.service import service_router
from sandbox_api.settings import SandboxSettings


def _operation_id(route: APIRoute) -> str:
    return route.name  # short, stable ids such as `create_book` for generated clients


def create_app(settings: SandboxSettings | None = None,
               catalog: Mapping[str, Feature] | None = None) -> FastAPI:
    """A sandbox app serving the features of `settings` (default: every feature that is not a
    lab) and its labs, with each feature's tables just filled with its seed data.

    `catalog` is where features are looked up by name (default: the discovered ones).
    Raises SandboxConfigError for an unknown feature or lab, naming the known ones.
    """
    settings = settings or SandboxSettings()
    features = select(catalog if catalog is not None else discover(), settings.features,
                      settings.labs)
    labs = [f for f in features if f.lab]
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
        title=docs.title(labs),
        version=docs.VERSION,
        description=docs.description(labs),
        openapi_tags=docs.tags(features),
        generate_unique_id_function=_operation_id,
        dependencies=JSON_BODIES,
        redirect_slashes=False,  # /books/ is another URI than /books: 404, not a redirect
    )
    app.state.settings = settings
    app.state.features = features
    db_path = settings.db_path
    if db_path is None:
        directory = tempfile.mkdtemp(prefix="apilab-sandbox-")
        cleanups.append(weakref.finalize(app, shutil.rmtree, directory, ignore_errors=True))
        db_path = Path(directory) / "sandbox.sqlite"
    app.state.db = SandboxDB(db_path)

    problem_types = STANDARD.copy()
    for feature in features:
        problem_types.register(*feature.problem_types)
    install_problem_handlers(app, problem_types, server="the sandbox")
    app.add_middleware(HeadAsGet)
    if labs:
        app.add_middleware(LabMarker, labs=[lab.name for lab in labs])
    app.include_router(service_router(features))
    app.include_router(problem_type_router(tags=["service"]))
    for feature in features:
        for router in feature.routers:
            app.include_router(router)
        if feature.setup is not None:
            feature.setup(app, settings)
    app.state.db.reset(features, settings.seed)
    install_problem_document(app)
    return app
