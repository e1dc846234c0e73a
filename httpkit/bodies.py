"""Request bodies are JSON, and say so: a route that reads a body refuses any other
`Content-Type` with 415 (RFC 9110 section 15.5.16), even when the bytes would parse as JSON,
because a client must state what it sends."""

from __future__ import annotations

from email.message import Message

from fastapi import Depends, Request

from httpkit.problems import ProblemException


def is_json(content_type: str) -> bool:
    """True for application/json and any application/*+json type (RFC 6839), with parameters."""
    header = Message()
    header["content-type"] = content_type
    subtype = header.get_content_subtype()
    return bool(content_type) and header.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json"))


async def require_json_body(request: Request) -> None:
    """415 unless the body of a route that reads one is declared as JSON. Routes without a
    body (GET, DELETE, a POST that takes nothing) are not concerned."""
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None:
        return
    raw = request.headers.get("content-type", "")
    if is_json(raw):
        return
    sent = f"Content-Type: {raw}" if raw else "no Content-Type"
    raise ProblemException(
        415, f"the body must be JSON, sent with Content-Type: application/json ({sent} was sent)",
        headers={"Accept-Post": "application/json", "Accept-Patch": "application/json"})


# For FastAPI(dependencies=JSON_BODIES): every route of the app follows the rule.
JSON_BODIES = [Depends(require_json_body)]
