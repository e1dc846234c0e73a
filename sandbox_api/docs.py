"""Words for the OpenAPI page at /docs: this API exists to be read by learners."""

from __future__ import annotations

from collections.abc import Sequence

from sandbox_api.feature import Feature

TITLE = "apilab sandbox"
VERSION = "1.0"
DESCRIPTION = """
A small, realistic API to practise HTTP on. It runs on your own machine and is seeded with
the same data for everyone; `POST /admin/reset` brings it back. `GET /` lists what it serves.

What to look for while you explore:

* **Methods and status codes** (RFC 9110): `POST` answers `201 Created` with a `Location`
  header; `DELETE` answers `204 No Content` with an empty body; `PUT` replaces, `PATCH` changes
  some fields; `HEAD` is `GET` without the body.
* **Errors** are RFC 9457 problem details, `application/problem+json`, whose `status` repeats
  the HTTP status and whose `errors` (on 422) names each invalid field. Each `type` URI, such as
  `/problems/not-found`, explains itself.
* **Ids are opaque**: use the URIs the API gives you (`Location`, `Link`); a path segment that
  is not one of its ids is simply not found (404).
* **Pagination**: lists return `{"items": [...], "next_cursor": ...}` and a
  `Link: <...>; rel="next"` header (RFC 8288) while there is more to read.
* A method a resource does not support gets `405` with an `Allow` header; a body that is not
  JSON gets `415`; JSON that does not parse gets `400`.
* **Caching** (RFC 9111, RFC 9110 §13), under `/caching`: `ETag` and `Last-Modified` on every
  read, `304 Not Modified` for `If-None-Match` and `If-Modified-Since`, `Cache-Control` chosen
  per resource with `Vary` where the representation is negotiated, `412` when `If-Match` names
  an old version, and `428` where a write must say which version it is based on.
"""
SERVICE_TAG = {
    "name": "service",
    "description": "Where to start, health, reset to the seed data, and what each problem "
                   "type means.",
}
LAB_MARK = "vulnerable on purpose"


def title(labs: Sequence[Feature]) -> str:
    """The document's title: a sandbox with labs says so where nobody can miss it."""
    if not labs:
        return TITLE
    return f"{TITLE} (LAB {', '.join(lab.name for lab in labs)}: {LAB_MARK})"


def description(labs: Sequence[Feature]) -> str:
    if not labs:
        return DESCRIPTION
    warning = "\n".join(f"* **{lab.name}**: {lab.summary}" for lab in labs)
    return (f"\n**Warning: this sandbox runs labs that are {LAB_MARK}.** They answer only on "
            f"this machine (loopback), and every response carries `X-Apilab-Lab`. Never "
            f"expose it to a network.\n\n{warning}\n" + DESCRIPTION)


def tags(features: Sequence[Feature]) -> list[dict[str, str]]:
    """The service tag, then each feature's, a lab's marked as such."""
    found = [SERVICE_TAG]
    for feature in features:
        for tag in feature.tags:
            text = tag.get("description", "")
            if feature.lab:
                text = f"LAB, {LAB_MARK}: {text}"
            found.append({**tag, "description": text})
    return found
