"""What the contract says about one response: a documented status, a body that follows its schema,
an error that is a whole problem details object.

Each judgment returns None when the response is as the contract says, or a sentence saying what
is not. Choices the contract leaves open are never held against a response: parameters of the
media type (charset), members the schema does not forbid, integers or strings where it admits
both, any framing of the body (the wire has already undone chunking and gzip).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from grader.contract.document import PROBLEM_JSON, Contract, Operation, is_json
from grader.wire import Received


def status_problem(operation: Operation, response: Received) -> str | None:
    """None when `response`'s status is one `operation` documents."""
    if response.status in operation.responses:
        return None
    listed = ", ".join(str(s) for s in operation.statuses)
    server = " (a server error)" if response.status >= 500 else ""
    return (f"{operation.label} answered {response.status}{server}, a status the contract does "
            f"not list for it (it lists {listed})")


def body_problem(schema: dict[str, Any] | None, response: Received, what: str) -> str | None:
    """None when the body of `response` is JSON that follows `schema` (any JSON when None)."""
    try:
        document = response.json()
    except ValueError as exc:  # WireError is one: not JSON, empty, cut off
        return f"{what} is not JSON: {exc}"
    return schema_problem(schema, document, what) if schema is not None else None


def schema_problem(schema: dict[str, Any], value: Any, what: str) -> str | None:
    """None when `value` follows `schema`; else the first rule it breaks, and where."""
    error = next(iter(_validator(json.dumps(schema, sort_keys=True)).iter_errors(value)), None)
    if error is None:
        return None
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
    rule = str(error.schema_path[-1]) if error.schema_path else "schema"
    at = f" at {where.lstrip('.')}" if where else ""
    return f"{what}{at} breaks the schema ({rule}): {error.message[:200]}"


def error_problem(contract: Contract, operation: Operation | None, response: Received) -> str | None:
    """None when an error response is what the contract documents for its status: a documented
    media type (parameters such as charset aside), a body that follows the schema, and for a
    problem details object (RFC 9457 §3.1.3) a `status` member equal to the HTTP status."""
    documented = operation.responses.get(response.status) if operation else None
    if documented is not None and documented.content:
        content = documented.content
    else:  # an answer the operation does not document (405, an unknown route): the usual problem
        media_type, schema = contract.problem()
        content = {media_type: schema}
    media = response.media_type
    if media not in {m.split(";")[0].strip().lower() for m in content}:
        sent = response.headers.get("content-type", "no Content-Type")
        return (f"the {response.status} is sent as {sent}, not as the contract's "
                f"{' or '.join(content)}")
    schema = next(schema for m, schema in content.items() if m.split(";")[0].strip().lower() == media)
    problem = body_problem(schema, response, f"the {response.status}'s body")
    if problem is not None:
        return problem
    document = response.json() if is_json(media) else None
    if media == PROBLEM_JSON and isinstance(document, dict) and "status" in document and (
            document["status"] != response.status or type(document["status"]) is not int):
        return (f"the problem's status member is {json.dumps(document['status'])}, but the "
                f"response's status is {response.status} (RFC 9457 §3.1.3: they are the same)")
    return None


def looks_like_html(response: Received) -> bool:
    return response.media_type in ("text/html", "application/xhtml+xml") or response.body.lstrip()[
        :15].lower().startswith((b"<!doctype html", b"<html"))


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    import jsonschema_rs  # the validator schemathesis brings: quick to load, quick to run

    return jsonschema_rs.Draft202012Validator(json.loads(schema_text))
