"""OpenAPI documents that tell the truth about errors.

FastAPI documents a validation error as its own `HTTPValidationError` shape, under
`application/json`, and nothing about the 400 and 415 a JSON body can earn. The apps built on
this kit answer every error as a problem, so `problem_document` rewrites the generated document
to say so: error answers are `application/problem+json` with the `Problem` schema, and every
operation that reads a JSON body lists 400 (malformed JSON), 415 (not JSON) and 422.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from httpkit.problems import PROBLEM_MEDIA_TYPE, Problem

_PROBLEM_REF = "#/components/schemas/Problem"
_FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")
_BODY_ERRORS = {
    "400": "The body is not valid JSON.",
    "415": "The body was not sent as `Content-Type: application/json`.",
    "422": "A field is missing or invalid; `errors` names each one.",
}
_QUERY_ERROR = "A parameter is invalid; `errors` names each one."
# An operation marked with this (`openapi_extra={OWN_ERROR_FORMAT: "RFC 6749 §5.2"}`) answers its
# errors in another standard's format, such as OAuth 2's `{"error": ...}`, and documents them.
OWN_ERROR_FORMAT = "x-own-error-format"


def problem_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses: problem_responses({404: "No book has this id."})."""
    return {status: {"model": Problem, "description": text}
            for status, text in descriptions.items()}


def install_problem_document(app: FastAPI) -> None:
    """Serve `problem_document(app)` at /openapi.json (computed once)."""
    app.openapi = lambda: problem_document(app)  # type: ignore[method-assign]


def problem_document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with its error answers typed as problems."""
    if app.openapi_schema is None:
        app.openapi_schema = problems_typed(get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes,
            tags=app.openapi_tags))
    return app.openapi_schema


def problems_typed(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (a generated OpenAPI document, changed in place and returned) with its error
    answers typed as problems: for a document of some of an app's routes, such as one version's."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            _type_errors_as_problems(operation)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FRAMEWORK_SCHEMAS:
        schemas.pop(name, None)
    if "Problem" not in schemas:
        schemas.update(_problem_schemas())
    return document


def _type_errors_as_problems(operation: dict[str, Any]) -> None:
    if OWN_ERROR_FORMAT in operation:  # errors in a standard format of their own, documented so
        return
    responses = operation.setdefault("responses", {})
    framework_422 = responses.get("422", {}).get("description") == "Validation Error"
    if framework_422 and not _can_be_invalid(operation):
        del responses["422"]  # FastAPI adds it to every route with a parameter
    if "requestBody" in operation:
        for status, text in _BODY_ERRORS.items():
            responses.setdefault(status, {"description": text})
    for status, answer in responses.items():
        if status[0] not in "45":
            continue
        content = answer.setdefault("content", {})
        schema = content.pop("application/json", {}).get("schema")
        if schema is None or schema.get("$ref", "").rsplit("/", 1)[-1] in _FRAMEWORK_SCHEMAS:
            schema = {"$ref": _PROBLEM_REF}
            if status == "422" and answer.get("description") == "Validation Error":
                answer["description"] = _QUERY_ERROR
        content[PROBLEM_MEDIA_TYPE] = {"schema": schema}


def _can_be_invalid(operation: dict[str, Any]) -> bool:
    """Whether any input of the operation can fail validation: a body, a query or header
    parameter, or a path parameter narrower than "any segment" (routing already ensures the
    segment is there and not empty)."""
    if "requestBody" in operation:
        return True
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        any_segment = (schema.get("type") == "string" and schema.get("minLength", 0) <= 1
                       and not {"format", "pattern", "maxLength", "enum"} & set(schema))
        if parameter.get("in") != "path" or not any_segment:
            return True
    return False


def _problem_schemas() -> dict[str, Any]:
    found = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = found.pop("$defs", {})
    return {"Problem": found, **definitions}
