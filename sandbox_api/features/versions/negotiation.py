"""/catalog/books/{id}: the same books, versioned by media type instead of by URL.

The client names the version in `Accept`: `application/vnd.apilab.book+json; version=2`. The
URI stays the same across versions (the book is one resource), so the response varies with a
request header, and says so with `Vary: Accept` (RFC 9110 section 12.5.5) so that caches keep
one copy per version. A client that names no version (`application/json`, `*/*`, or no Accept)
gets v1, the oldest, so that it never breaks; the Content-Type always says which it got. A
version the server does not have is `406 Not Acceptable`, listing those it does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException
from sandbox_api.features.versions import shapes
from sandbox_api.features.versions.deps import BookIdPath, StoreDep, existing_book

router = APIRouter(prefix="/catalog/books", tags=["media type"])

MEDIA_TYPE = "application/vnd.apilab.book+json"
VERSIONS = {"1": "v1", "2": "v2"}
DEFAULT = "1"
VARY = {"Vary": "Accept"}
_SCHEMAS = {"v1": TypeAdapter(shapes.BookV1), "v2": TypeAdapter(shapes.BookV2)}


def offered(version: str) -> str:
    return f"{MEDIA_TYPE}; version={version}"


def choose(accept: str | None) -> str | None:
    """The version to serve for an Accept field value, or None when it accepts none of ours.

    Media ranges are tried by quality, highest first (ties in the order written); q=0 refuses.
    Our type with a version parameter selects that version (if we have it); our type without one,
    application/json, application/*, */* or no Accept at all select the default.
    """
    if not accept or not accept.strip():
        return DEFAULT
    ranges = []
    for position, item in enumerate(accept.split(",")):
        kind, *parameters = [part.strip() for part in item.split(";")]
        params = dict(p.split("=", 1) for p in parameters if "=" in p)
        params = {k.strip().lower(): v.strip().strip('"') for k, v in params.items()}
        try:
            quality = float(params.pop("q", "1"))
        except ValueError:
            quality = 0.0
        ranges.append((-quality, position, kind.lower(), params.get("version")))
    for negative_q, _, kind, version in sorted(ranges):
        if negative_q == 0:
            continue
        if kind == MEDIA_TYPE and version is not None:
            if version in VERSIONS:
                return version
        elif kind in (MEDIA_TYPE, "application/json", "application/*", "*/*"):
            return DEFAULT
    return None


_DOCUMENTED = {
    200: {"description": "The book in the version asked for; Content-Type names it.",
          "headers": {"Vary": {"description": "Accept: the body depends on it.",
                               "schema": {"type": "string"}}},
          "content": {MEDIA_TYPE: {"schema": {"oneOf": [
              {"$ref": "#/components/schemas/BookV1"}, {"$ref": "#/components/schemas/BookV2"}]}}}},
    **problem_responses({404: "No book has this id.",
                         406: "Accept names no version this resource has; `available` lists "
                              "the media types it can send."}),
}


@router.get("/{book_id}", name="get_book_negotiated", responses=_DOCUMENTED,
            response_class=JSONResponse)
async def get_book_negotiated(book_id: BookIdPath, request: Request, store: StoreDep) -> Any:
    """One book, in the version named by `Accept: application/vnd.apilab.book+json; version=N`
    (N is 1 or 2; without a version, v1)."""
    version = choose(request.headers.get("accept"))
    if version is None:
        raise ProblemException(
            406, f"this resource has versions {', '.join(VERSIONS)}: ask for one with Accept: "
            f"{offered('2')}", available=[offered(v) for v in VERSIONS], headers=VARY)
    try:
        row = await existing_book(book_id, store)
    except ProblemException as exc:
        exc.headers = {**(exc.headers or {}), **VARY}
        raise
    name = VERSIONS[version]
    body = _SCHEMAS[name].dump_python(_SCHEMAS[name].validate_python(shapes.SHOW[name](row)),
                                      mode="json")
    return JSONResponse(body, media_type=offered(version), headers=VARY)
