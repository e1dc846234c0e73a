"""Words for the OpenAPI page at /docs: this API exists to be read by learners."""

from __future__ import annotations

from typing import Any

from sandbox_api.models import Problem

TITLE = "apilab bookshop sandbox"
VERSION = "1.0"
DESCRIPTION = """
A small, realistic bookshop API to practise HTTP on. It runs on your own machine and is
seeded with the same authors and books for everyone; `POST /admin/reset` brings them back.

What to look for while you explore:

* **Methods and status codes** (RFC 9110): `POST` answers `201 Created` with a `Location`
  header; `DELETE` answers `204 No Content` with an empty body; `PUT` replaces, `PATCH` changes
  some fields; `HEAD` is `GET` without the body.
* **Errors** are RFC 9457 problem details, `application/problem+json`, whose `status` repeats
  the HTTP status and whose `errors` (on 422) names each invalid field.
* **Pagination**: lists return `{"items": [...], "next_cursor": ...}` and a
  `Link: <...>; rel="next"` header (RFC 8288) while there is more to read.
* A method a resource does not support gets `405` with an `Allow` header; a body that is not
  JSON gets `415`; JSON that does not parse gets `400`.
"""

TAGS = [
    {
        "name": "books",
        "description": "The catalogue: create, read, replace, change and delete "
        "books; filter, sort and page through them.",
    },
    {
        "name": "authors",
        "description": "Who wrote the books. An author with books cannot be "
        "deleted (409 Conflict).",
    },
    {
        "name": "service",
        "description": "Health check, reset to the seed data, and the "
        "documentation of each problem type.",
    },
]


def problem_docs(**descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses: problem_docs(e404="No book has this id.")."""
    return {
        int(key.removeprefix("e")): {
            "model": Problem,
            "description": text,
            "content": {"application/problem+json": {}},
        }
        for key, text in descriptions.items()
    }


WRITE_ERRORS = problem_docs(
    e400="The body is not valid JSON.",
    e415="The body was not sent as `Content-Type: application/json`.",
    e422="A field is missing or invalid; `errors` names each one.",
)
QUERY_ERRORS = problem_docs(
    e400="The cursor is not one this API issued for this sort order.",
    e422="A query parameter is invalid, e.g. `limit` over 100 or an unknown `sort` field.",
)
LIST_RESPONSES = {
    200: {
        "description": "One page of the list.",
        "headers": {
            "Link": {
                "description": 'The next page, as `<URL>; rel="next"` (RFC 8288); absent on '
                "the last page.",
                "schema": {"type": "string"},
            }
        },
    },
    **QUERY_ERRORS,
}
CREATED_RESPONSES = {
    201: {
        "description": "Created.",
        "headers": {
            "Location": {
                "description": "The URI of the new resource.",
                "schema": {"type": "string"},
            }
        },
    },
    **WRITE_ERRORS,
}
