"""Registered checks of the OpenAPI documents a server publishes about itself (lesson 3, where
each API version serves its own): the document is valid, lists exactly the expected operations,
and describes the expected resource.

Validity is judged by openapi-spec-validator, a maintained validator of the OpenAPI
Specification. A document is read as the server sends it; references outside it are refused
rather than fetched, since the grader talks to nothing but the learner's server.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NotRequired
from urllib.parse import urlsplit

from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from grader.checks.registry import check
from grader.context import CheckContext
from grader.contract.document import json_pointer
from grader.matchers import show

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_REFERENCES = ("$ref", "$dynamicRef", "$recursiveRef")


async def fetch_document(ctx: CheckContext, path: str) -> dict[str, Any]:
    """GET the document at `path`: a 200 whose body is a JSON object with an `openapi` version."""
    response = await ctx.request("GET", ctx.fill(path))
    label = f"GET {ctx.based(ctx.fill(path))}"
    ctx.expect(response.status == 200, f"{label} answered {response.status}",
               expected="status 200 with the OpenAPI document",
               received=f"status {response.status} {response.reason}")
    media = response.media_type
    ctx.expect(media == "application/json" or media.endswith("+json"), f"{label}: the document "
               "is not sent as JSON", expected="Content-Type: application/json",
               received=f"Content-Type: {response.headers.get('content-type', '(none)')}")
    document = ctx.json(response)
    ctx.expect(isinstance(document, dict), f"{label}: an OpenAPI document is a JSON object",
               expected="a JSON object", received=show(document))
    version = document.get("openapi")
    ctx.expect(isinstance(version, str) and re.fullmatch(r"3\.\d+\.\d+", version) is not None,
               f"{label} is not an OpenAPI 3 document", expected='"openapi": "3.1.0" (or 3.0.x)',
               received=f"openapi = {show(version)}" + (" (Swagger 2.0)" if "swagger" in document
                                                       else ""))
    return document


@check("openapi-valid")
async def openapi_valid(ctx: CheckContext, *, path: str) -> None:
    """The document at `path` is a valid OpenAPI 3 document, as openapi-spec-validator judges it
    (the OpenAPI Specification 3.0/3.1: required members, unique operationIds, declared path
    parameters, well-formed schemas), with every reference inside the document."""
    document = await fetch_document(ctx, path)
    outside = next(external_references(document), None)
    ctx.expect(outside is None, "the document refers to something outside itself; the grader "
               "follows no URL but your server's", expected="references such as "
               '"#/components/schemas/Book"', received=f"{outside}")
    problem = await asyncio.to_thread(_validation_problem, document)
    ctx.expect(problem is None, "the document is not a valid OpenAPI document",
               expected="a document openapi-spec-validator accepts", received=problem)


def external_references(node: Any) -> Iterator[str]:
    """Every reference in `node` that does not point inside the document (`#...`)."""
    if isinstance(node, Mapping):
        for name, value in node.items():
            if name in _REFERENCES and isinstance(value, str) and not value.startswith("#"):
                yield f"{name}: {value}"
            else:
                yield from external_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from external_references(item)


def _validation_problem(document: dict[str, Any]) -> str | None:
    from openapi_spec_validator import validate  # loaded on first use: it is not small

    try:
        validate(document)
    except Exception as exc:  # the validator's errors share no base class across versions
        lines = [line for line in str(exc).splitlines() if line.strip()]
        where = getattr(exc, "json_path", None) or getattr(exc, "path", None)
        place = f" (at {where})" if where and str(where) not in ("$", "deque([])") else ""
        return (lines[0] if lines else type(exc).__name__)[:300] + place
    return None


@check("openapi-operations")
async def openapi_operations(
    ctx: CheckContext,
    *,
    path: str,
    operations: dict[str, Sequence[str]],
    optional: Sequence[str] = ("head", "options"),
    also_allowed: dict[str, Sequence[str]] | None = None,
) -> None:
    """The document at `path` lists exactly `operations` ({path: [methods]}): none missing, none
    extra (a version's document lists that version only; OpenAPI 3.x Paths Object). Methods in
    `optional` may be listed on the expected paths; `also_allowed` names other operations a
    document may list (its own URL).
    Paths are compared in full, after any path of the first `servers` URL, and path templates
    match whatever their parameters are named (`/books/{id}` is `/books/{book_id}`). The
    expected paths are under the check's base path, like the paths it requests."""
    document = await fetch_document(ctx, path)
    listed = listed_operations(document)
    wanted = {(template(ctx.based(p)), m.lower()) for p, methods in operations.items()
              for m in methods}
    extra_ok = {(template(ctx.based(p)), m.lower()) for p, methods in (also_allowed or {}).items()
                for m in methods}
    extra_ok |= {(p, m) for p, _ in wanted for m in optional}
    missing = sorted(wanted - listed)
    extra = sorted(listed - wanted - extra_ok)
    if missing or extra:
        parts = ([f"missing {_ops(missing)}"] if missing else []) + (
            [f"lists {_ops(extra)}, which {ctx.based(ctx.fill(path))} should not"] if extra else [])
        ctx.fail(f"the document's operations are not this version's: {'; '.join(parts)}",
                 expected=_ops(sorted(wanted)), received=_ops(sorted(listed)) or "no operations")


def listed_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(path template, method) of every operation, paths made full with the first server's path."""
    servers = document.get("servers")
    prefix = ""
    if isinstance(servers, list) and servers and isinstance(servers[0], Mapping):
        prefix = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")
    paths = document.get("paths")
    found = set()
    for written, item in (paths.items() if isinstance(paths, Mapping) else []):
        if isinstance(item, Mapping):
            found |= {(template(prefix + str(written)), method) for method in item
                      if method in HTTP_METHODS}
    return found


def template(path: str) -> str:
    """A path template with its parameters unnamed: /v1/books/{id} -> /v1/books/{}."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _ops(operations: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{method.upper()} {path}" for path, method in operations)


class Shape(TypedDict):
    properties: list[str]
    absent: NotRequired[list[str]]


@check("openapi-describes")
async def openapi_describes(ctx: CheckContext, *, documents: dict[str, Shape]) -> None:
    """Each document (by path) describes the resource it should: one of its schemas has all the
    `properties` (OpenAPI Schema Object `properties`), and none has any of `absent`."""
    for path, shape in documents.items():
        document = await fetch_document(ctx, path)
        label = ctx.based(ctx.fill(path))
        schemas = described_properties(document)
        wanted, absent = shape["properties"], shape.get("absent", [])
        described = "; ".join(", ".join(sorted(n)) for n in schemas[:6]) or "no schemas"
        ctx.expect(any(set(wanted) <= names for names in schemas), f"no schema in {label} has all "
                   f"of {', '.join(wanted)}", expected=f"a schema with properties {', '.join(wanted)}",
                   received=f"schemas with {described}")
        wrong = sorted({name for names in schemas for name in names if name in absent})
        ctx.expect(not wrong, f"{label} describes {', '.join(wrong)}, which belong to another "
                   "version", expected=f"no property {', '.join(absent)}",
                   received=f"a schema with {', '.join(wrong)}")


def described_properties(document: Mapping[str, Any]) -> list[set[str]]:
    """The property names of each schema of `document`: its own `properties`, and for a schema
    composed with `allOf` those of all its members together, local `$ref`s followed (a book
    written as `allOf: [BookIn, {id, added_at}]` has the fields of both)."""
    return [names for node in _nodes(document) if (names := _properties(node, document, 0))]


def _properties(node: Mapping[str, Any], document: Mapping[str, Any], depth: int) -> set[str]:
    if depth > 20:  # a $ref cycle
        return set()
    node = _resolved(node, document)
    names = set(node["properties"]) if isinstance(node.get("properties"), Mapping) else set()
    for member in node.get("allOf") or []:
        if isinstance(member, Mapping):
            names |= _properties(member, document, depth + 1)
    return names


def _resolved(node: Mapping[str, Any], document: Mapping[str, Any]) -> Mapping[str, Any]:
    """`node`, or what its local `$ref` (`#/components/...`) points to."""
    reference = node.get("$ref")
    if not isinstance(reference, str) or not reference.startswith("#/"):
        return node
    try:
        target = json_pointer(document, reference)
    except LookupError:
        return {}
    return target if isinstance(target, Mapping) else {}


def _nodes(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)
