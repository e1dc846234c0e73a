"""Lesson 4's caching: the bookshop's data with validators (ETag, Last-Modified), conditional
reads (304) and writes (412, and 428 where a precondition is required), per-resource
Cache-Control with Vary, and a report slow enough that caching it is felt."""

from __future__ import annotations

from fastapi import FastAPI

from httpkit.problems import ProblemType
from sandbox_api.feature import Feature
from sandbox_api.features.caching import routes, store
from sandbox_api.settings import SandboxSettings


def _setup(app: FastAPI, settings: SandboxSettings) -> None:
    # A test may shorten the slow report by changing this on its app.
    app.state.report_seconds = routes.REPORT_SECONDS


FEATURE = Feature(
    name="caching",
    summary="Lesson 4: ETags, 304 Not Modified, Cache-Control and Vary, lost updates stopped "
            "by If-Match (412) and 428 where a precondition is required.",
    routers=[routes.router],
    tags=[{"name": "caching", "description": "The bookshop's data with validators and caching "
                                             "policies: conditional reads (304) and writes "
                                             "(412, 428), and a slow report worth caching."}],
    schema=store.SCHEMA,
    seed=store.seed,
    setup=_setup,
    links={"caching": "/caching/books/1", "bestsellers": "/caching/reports/bestsellers"},
    problem_types=[
        ProblemType("not-acceptable", "Not Acceptable", 406, "None of the media types in Accept "
                    "is one this resource can send; the detail names those it can."),
    ],
)
