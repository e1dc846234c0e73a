"""Probes of the writes (POST, PUT, PATCH with a JSON body): every field's invalid values are
refused and change nothing; valid values across the schema are accepted and come back as sent.

For each write, field after field: every way to break the field's schema (see
`values.violations`) inside an otherwise valid body, and every edge of it (`values.edges`),
plus whole bodies drawn anywhere in the schema. PUT and PATCH work on a resource made for the
check; after each refused write, a GET shows whether it changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from hypothesis import strategies as st

from grader.contract.document import Operation
from grader.contract.explore import Finding
from grader.contract.judge import body_problem
from grader.contract.session import Resource, Session, shown
from grader.contract.values import ABSENT, Variant, edges, valid, violations

# Sweeps of every variant: a violation or an edge is one rule, so a few draws show it. Whole
# valid bodies are drawn several times a sweep, as they range over every field at once.
VIOLATION_EXAMPLES = 2
EDGE_EXAMPLES = 2
WHOLE_BODIES = 3
# A refused write to a resource is followed by a GET of it every few writes, not after each:
# when the resource changed, its new values name the write that changed it.
UNCHANGED_EVERY = 8


async def rejects_invalid(session: Session) -> Finding | None:
    """The first write that accepts a value breaking the schema, or changes what it refuses."""
    for operation in session.contract.writes():
        target = await _target(session, operation)
        before = await _listed(session, operation) if target is None else None
        cases = [(variant, variant.values) for variant in _fields(operation, violations)]
        if finding := await session.explorer.sweep(
                cases, lambda variant, pair, o=operation, t=target: _refused(
                    session, o, t, variant, _filled(variant)(pair)),
                VIOLATION_EXAMPLES, common=valid(operation.body or {})):
            return finding
        if target is not None and (finding := await _unchanged(session, target)):
            return finding
        if before is not None and (finding := await _nothing_stored(session, operation, before)):
            return finding
    return None


async def accepts_valid(session: Session) -> Finding | None:
    """The first write that refuses a valid body, or stores or shows something else than sent."""
    for operation in session.contract.writes():
        target = await _target(session, operation)
        base = valid(operation.body or {})
        whole = Variant("", "a body drawn anywhere in the schema", st.just(ABSENT))
        cases = [(whole, base.map(lambda body: (body, ABSENT)))] * WHOLE_BODIES + [
            (variant, variant.values) for variant in _fields(operation, edges)]

        async def probe(variant: Variant, pair: tuple[Any, Any], o: Operation = operation,
                        t: Resource | None = target, w: Variant = whole) -> Finding | None:
            shared, value = pair
            body = value[0] if variant is w else _filled(variant)((shared, value))
            return await _accepted(session, o, t, variant, body)

        if finding := await session.explorer.sweep(cases, probe, EDGE_EXAMPLES, common=base):
            return finding
    return None


# --- one example ----------------------------------------------------------------------------------


async def _refused(session: Session, operation: Operation, target: Resource | None, variant: Variant,
                   body: dict[str, Any]) -> Finding | None:
    mark = session.mark()

    async def work() -> Finding | None:
        url = target.url if target else session.url(operation.path)
        response = await (session.write(operation.method, target, body) if target else
                          session.send(operation.method, url, json_body=body))
        if response.status not in operation.refusals:
            value = body.get(variant.field, ABSENT)
            what = f"{variant.field} {shown(value)}" if value is not ABSENT else f"no {variant.field}"
            refusals = " or ".join(str(s) for s in operation.refusals)
            rule = f"{session.contract.source}: {variant.field}: {variant.rule}"
            verb = "accepted" if response.status < 300 else "answered"
            return Finding(f"{operation.method} {url} {verb} a body with {what}, which the contract "
                           f"refuses ({rule})", expected=f"a refusal: status {refusals}",
                           received=f"status {response.status} {response.reason}",
                           exchanges=session.since(mark))
        if target is None:
            return None
        target.refused.append((body, session.since(mark)))
        return await _unchanged(session, target) if len(target.refused) >= UNCHANGED_EVERY else None

    return await session.guarded(mark, work())


async def _unchanged(session: Session, target: Resource) -> Finding | None:
    """None when the resource is as it was before the refused writes sent since it was last
    read; else a finding naming the write whose values it now holds."""
    if not target.refused:
        return None
    mark = session.mark()
    _response, shown_now = await session.read(target)
    # As a GET shows it, the members its schema leaves out aside, as `target.document` is: a
    # member the contract does not name (which it allows) is no change.
    after = session.contract.as_read(target.path, shown_now)
    refused, target.refused = target.refused, []
    if _same(after, target.document):
        return None
    before, target.document = target.document, after
    changed = [k for k in (after if isinstance(after, dict) else {}) if not _same(
        after.get(k), before.get(k, ABSENT) if isinstance(before, dict) else ABSENT)]
    culprit = next(((body, exchanges) for body, exchanges in reversed(refused)
                    if any(k in body and _same(body[k], after[k]) for k in changed)), refused[-1])
    request = culprit[1][0].request if culprit[1] else None
    return Finding(f"{request.method if request else 'A write'} {target.url} refused a body "
                   f"({shown(culprit[0])[:160]}) but changed the resource anyway: a refused write "
                   "must change nothing", expected="the resource as it was",
                   received=_difference(before, after), exchanges=[*culprit[1], *session.since(mark)])


async def _accepted(session: Session, operation: Operation, target: Resource | None,
                    variant: Variant, body: dict[str, Any]) -> Finding | None:
    mark = session.mark()

    async def work() -> Finding | None:
        url = target.url if target else session.url(operation.path)
        response = await (session.write(operation.method, target, body) if target else
                          session.send(operation.method, url, json_body=body))
        success = operation.success
        assert success is not None  # a write without a 2xx is refused when the contract loads
        why = variant.rule if variant.field == "" else f"{variant.field}: {variant.rule}"
        if response.status != success.status:
            return Finding(f"{operation.method} {url} refused a valid body ({why}) with "
                           f"{response.status}", expected=f"status {success.status}",
                           received=f"status {response.status} {response.reason}",
                           exchanges=session.since(mark))
        schema = operation.json_schema(success.status)
        if problem := body_problem(schema, response, "the answer"):
            return Finding(f"{operation.method} {url}: {problem}", expected="a body that follows "
                           "the contract's schema", received=response.text[:300],
                           exchanges=session.since(mark))
        document = response.json()
        if wrong := _not_as_sent(operation, body, target, document):
            field, sent, stored = wrong
            return Finding(f"{operation.method} {url} answered {field} = {shown(stored)}, but the "
                           f"request {'sent ' + shown(sent) if field in body else 'left it out'}",
                           expected=f"{field} = {shown(sent)}", received=f"{field} = {shown(stored)}",
                           exchanges=session.since(mark))
        location = response.headers.get("location")
        resource = target or Resource(session.rel(urljoin(response.url, location)) if location
                                      else url, operation.path, document)
        reading, shown_now = await session.read(resource)
        document = session.contract.as_read(resource.path, document)
        if reading.status != 200 or not _same(session.contract.as_read(resource.path, shown_now), document):
            return Finding(f"GET {resource.url} does not show what {operation.method} answered",
                           expected=f"status 200 and {_excerpt(document)}",
                           received=f"status {reading.status}: " + (
                               _difference(document, shown_now) if reading.status == 200
                               else reading.text[:200]), exchanges=session.since(mark))
        if target is not None:
            target.document = document
        return None

    return await session.guarded(mark, work())


# --- helpers --------------------------------------------------------------------------------------


async def _target(session: Session, operation: Operation) -> Resource | None:
    """The resource a write to an item path works on (made for the check); None for a collection."""
    if "{" not in operation.path:
        return None
    return await session.create(operation.path)


def _fields(operation: Operation, variants: Any) -> Iterator[Variant]:
    body = operation.body or {}
    required = set(body.get("required", []))
    for name, schema in (body.get("properties") or {}).items():
        yield from variants(name, schema, name in required)


def _filled(variant: Variant) -> Any:
    def fill(pair: tuple[dict[str, Any], Any]) -> dict[str, Any]:
        body, value = dict(pair[0]), pair[1]
        if value is ABSENT:
            body.pop(variant.field, None)
        else:
            body[variant.field] = value
        return body
    return fill


def _not_as_sent(operation: Operation, body: dict[str, Any], target: Resource | None,
                 document: Any) -> tuple[str, Any, Any] | None:
    """(field, expected, answered) for the first field that does not come back as the contract
    says: as sent, else its default (POST, PUT) or its value before (PATCH)."""
    if not isinstance(document, dict):
        return None  # the schema check has said so already
    properties = (operation.body or {}).get("properties") or {}
    for name, schema in properties.items():
        if name in body:
            expected = body[name]
        elif operation.method == "PATCH" and target is not None and isinstance(target.document, dict):
            expected = target.document.get(name, ABSENT)
        elif "default" in schema:
            expected = schema["default"]
        else:
            continue
        if expected is not ABSENT and not _same(document.get(name, ABSENT), expected):
            return name, expected, document.get(name, ABSENT)
    return None


async def _listed(session: Session, operation: Operation) -> set[str] | None:
    """The ids listed in the collection a POST adds to (None when there is no list to read)."""
    from grader.contract.reads import walk

    if operation.method != "POST" or session.contract.operation("GET", operation.path) is None:
        return None
    items = await walk(session, operation.path)
    item_path = session.contract.item_path(operation.path) or operation.path + "/{id}"
    return {i for item in items if (i := session.id_of(item, item_path)) is not None}


async def _nothing_stored(session: Session, operation: Operation, before: set[str]) -> Finding | None:
    mark = session.mark()
    after = await _listed(session, operation) or set()
    if new := sorted(after - before):
        return Finding(f"after the refused POSTs to {operation.path}, the list holds {len(new)} "
                       f"resources it did not hold before (ids {', '.join(new[:5])}): a refused "
                       "request must store nothing", expected="the same resources as before",
                       received=f"{len(new)} more", exchanges=session.since(mark)[-2:])
    return None


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: 2 and 2.0 are the same number; true is not 1; text is compared exactly."""
    return (json.dumps(_canonical(a), sort_keys=True, default=repr)
            == json.dumps(_canonical(b), sort_keys=True, default=repr))


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _difference(before: Any, after: Any) -> str:
    if isinstance(before, dict) and isinstance(after, dict):
        changed = [f"{k} was {shown(before.get(k, ABSENT))}, is now {shown(after.get(k, ABSENT))}"
                   for k in dict.fromkeys([*before, *after]) if not _same(before.get(k, ABSENT),
                                                                          after.get(k, ABSENT))]
        return "; ".join(changed[:3]) or "the same fields"
    return f"{_excerpt(before)} became {_excerpt(after)}"


def _excerpt(value: Any) -> str:
    text = shown(value)
    return text if len(text) < 200 else text[:197] + "..."
