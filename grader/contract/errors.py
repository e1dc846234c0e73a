"""Probes of the answers a client gets when something is wrong, and of the methods and routes a
server says it has.

Every error the probes can provoke (malformed JSON, a body that is not JSON, an invalid body or
query, an unknown id, a method the path does not support, a request without its credentials) is
checked in full against the contract: its media type, every member its schema requires, and a
problem's `status` equal to the HTTP status. Every method a 405's `Allow` names is then sent and
must be answered, and paths outside the contract must be problems, not a framework's HTML page.
A method that no path of the contract has may be answered 501 instead of 405 (RFC 9110
§15.6.2); where the README makes only 4xx answers problems (`problem_statuses = "4xx"`), a 5xx's
body is not judged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from grader.contract.document import METHODS, Operation
from grader.contract.explore import Finding
from grader.contract.judge import error_problem, looks_like_html
from grader.contract.reads import _query_values
from grader.contract.session import Resource, Session
from grader.contract.strategies import CHARACTERS, kept
from grader.contract.values import ABSENT, Variant, valid, violations
from grader.http_helpers import allow_methods

ERROR_EXAMPLES = 2
ROUTE_EXAMPLES = 4
STANDARD = [m.upper() for m in METHODS if m not in ("options", "trace", "head")]
_NOT_JSON = ["text/plain", "application/xml", "application/x-www-form-urlencoded", "text/csv"]


async def errors_are_problems(session: Session) -> Finding | None:
    """The first provoked error that is not the problem the contract documents."""
    contract = session.contract
    resources: dict[str, Resource] = {}
    for operation in contract.operations:
        url = await _url(session, operation, resources)
        cases = [(operation, strategy) for strategy in _provocations(operation)]
        if finding := await session.explorer.sweep(
                cases, lambda o, request, u=url: _problem(session, o, u, request), ERROR_EXAMPLES):
            return finding
    for path in contract.paths:
        url = await _url(session, None, resources, path)
        others = [m for m in STANDARD if m not in contract.methods(path)]
        if others and (finding := await session.explorer.search(
                st.sampled_from(others).map(lambda m: {"method": m}),
                lambda request, u=url: _problem(session, None, u, request), ERROR_EXAMPLES)):
            return finding
    return None


async def methods_and_routes(session: Session) -> Finding | None:
    """The first method a 405 advertises that is not answered (or documented one it leaves out),
    or the first route outside the contract not answered with a problem."""
    contract = session.contract
    for path in contract.paths:
        others = [m for m in STANDARD if m not in contract.methods(path)]
        if not others:
            continue
        url = await _url(session, None, {}, path)
        if finding := await session.explorer.search(
                st.sampled_from(others), lambda method, p=path, u=url: _advertised(session, p, u, method),
                ERROR_EXAMPLES):
            return finding
    prefixes = {path.strip("/").split("/")[0] for path in contract.documented_paths}
    segment = kept(valid_segment(), lambda s: s not in prefixes)
    for path in [""] + [p for p in contract.paths if "{" in p]:
        base = await _url(session, None, {}, path) if path else session.url("/")
        if finding := await session.explorer.search(
                segment, lambda s, b=base: _outside(session, b.rstrip("/") + "/" + s), ROUTE_EXAMPLES):
            return finding
    return None


def _unknown_everywhere(session: Session, method: str) -> bool:
    """Whether no path of the contract has `method`: a server may then not know the method at
    all, and answer 501 (RFC 9110 §15.6.2) before any route is looked at."""
    return all(operation.method != method for operation in session.contract.operations)


def valid_segment() -> st.SearchStrategy[str]:
    return st.from_regex(r"[a-z][a-z0-9-]{2,15}", fullmatch=True, alphabet=CHARACTERS)


# --- one example ----------------------------------------------------------------------------------


async def _problem(session: Session, operation: Operation | None, url: str,
                   request: dict[str, Any]) -> Finding | None:
    mark = session.mark()

    async def work() -> Finding | None:
        method = request.get("method") or (operation.method if operation else "GET")
        target = url
        if operation is not None and "unknown" in request:
            name = operation.params("path")[-1].name
            target = session.url(operation.path, {name: request["unknown"]})
        if "query" in request:
            target += ("&" if "?" in target else "?") + urlencode(request["query"])
        response = await session.send(method, target, body=request.get("body"),
                                      headers=request.get("headers"),
                                      credentials=request.get("credentials", True))
        if response.status < 400 or method == "HEAD":
            return None  # not an error: whether it should have been is another check's business
        if response.status >= 500 and session.probing.problem_statuses == "4xx":
            return None  # the README makes 4xx problems only; a 5xx's body is free
        if problem := error_problem(session.contract, operation, response):
            why = request.get("why", "")
            return Finding(f"{method} {target}{why} answered {response.status}, but {problem}",
                           expected=_expected(session, operation, response.status),
                           received=f"{response.headers.get('content-type', 'no Content-Type')}: "
                                    f"{response.text[:200] or '(an empty body)'}",
                           exchanges=session.since(mark))
        return None

    return await session.guarded(mark, work())


async def _advertised(session: Session, path: str, url: str, method: str) -> Finding | None:
    mark = session.mark()

    async def work() -> Finding | None:
        response = await session.send(method, url, **(
            {"json_body": {}} if method in ("POST", "PUT", "PATCH") else {}))
        documented = session.contract.methods(path)
        unknown = _unknown_everywhere(session, method)
        if response.status == 501 and unknown:
            return None  # RFC 9110 §15.6.2: 501 is the answer to a method no resource supports
        if response.status != 405:
            also = " (or 501, as no path has it)" if unknown else ""
            return Finding(f"{method} {url} answered {response.status}, but the contract has no "
                           f"{method} for {path}",
                           expected=f"status 405 Method Not Allowed with Allow{also}",
                           received=f"status {response.status} {response.reason}",
                           exchanges=session.since(mark))
        allowed = allow_methods(response)
        if missing := [m for m in documented if m not in allowed]:
            return Finding(f"the 405's Allow leaves out {', '.join(missing)}, which the contract "
                           f"documents for {path}", expected=f"Allow naming {', '.join(documented)}",
                           received=f"Allow: {', '.join(allowed) or '(none)'}",
                           exchanges=session.since(mark))
        for other in sorted(set(allowed) - set(documented), key=allowed.index):
            answer = await session.send(other, url)
            if answer.status in (405, 501):
                return Finding(f"the 405 advertises {other} in Allow, but {other} {url} answered "
                               f"{answer.status}: a server lists only methods it answers "
                               "(RFC 9110 §10.2.1)", expected=f"{other} answered, or not in Allow",
                               received=f"status {answer.status} {answer.reason}",
                               exchanges=session.since(mark))
        return None

    return await session.guarded(mark, work())


async def _outside(session: Session, url: str) -> Finding | None:
    mark = session.mark()

    async def work() -> Finding | None:
        response = await session.send("GET", url)
        where = f"GET {url}, a path the contract does not have,"
        if looks_like_html(response):
            return Finding(f"{where} answered with an HTML page", expected="a 404 problem",
                           received=f"{response.status}, {response.headers.get('content-type')}",
                           exchanges=session.since(mark))
        if not 400 <= response.status < 500:
            return Finding(f"{where} answered {response.status}", expected="status 404 (a 4xx)",
                           received=f"status {response.status} {response.reason}",
                           exchanges=session.since(mark))
        if problem := error_problem(session.contract, None, response):
            return Finding(f"{where} answered {response.status}, but {problem}",
                           expected=_expected(session, None, response.status),
                           received=f"{response.headers.get('content-type', 'no Content-Type')}: "
                                    f"{response.text[:200] or '(an empty body)'}",
                           exchanges=session.since(mark))
        return None

    return await session.guarded(mark, work())


# --- helpers --------------------------------------------------------------------------------------


def _provocations(operation: Operation) -> list[st.SearchStrategy[dict[str, Any]]]:
    """Requests that make `operation` answer an error, each a dict of what to change."""
    found: list[st.SearchStrategy[dict[str, Any]]] = []
    if operation.body is not None:
        body = valid(operation.body).map(lambda b: json.dumps(b).encode())
        found.append(st.tuples(body, st.integers(1, 40)).map(lambda pair: {
            "body": pair[0][:max(1, len(pair[0]) - pair[1])] + b"{", "why": " with malformed JSON",
            "headers": {"Content-Type": "application/json"}}))
        found.append(st.tuples(body, st.sampled_from(_NOT_JSON)).map(lambda pair: {
            "body": pair[0], "headers": {"Content-Type": pair[1]},
            "why": f" with a body sent as {pair[1]}"}))
        invalid = [v for name, schema in (operation.body.get("properties") or {}).items()
                   for v in violations(name, schema, name in operation.body.get("required", []))]
        if invalid:
            found.append(st.tuples(valid(operation.body), st.sampled_from(invalid)).flatmap(
                lambda pair: pair[1].values.map(lambda value, b=pair[0], v=pair[1]: _invalid(b, v, value))))
    if "{" in operation.path:
        found.append(st.integers(10**9, 10**12).map(lambda n: {"unknown": str(n)}))
    for parameter in operation.params("query"):
        for strategy, refused in _query_values(parameter.schema):
            if refused:
                found.append(strategy.map(lambda text, name=parameter.name: {"query": {name: text}}))
    if operation.secured:
        found.append(st.just({"credentials": False, "why": " without credentials"}))
    return found


def _invalid(body: dict[str, Any], variant: Variant, value: Any) -> dict[str, Any]:
    changed = {k: v for k, v in body.items() if k != variant.field}
    if value is not ABSENT:
        changed[variant.field] = value
    return {"body": json.dumps(changed).encode(), "headers": {"Content-Type": "application/json"},
            "why": f" with an invalid {variant.field} ({variant.rule})"}


async def _url(session: Session, operation: Operation | None, resources: dict[str, Resource],
               path: str | None = None) -> str:
    """The URL to provoke errors at: the path itself, or a resource made at an item path."""
    path = path or (operation.path if operation else "/")
    if "{" not in path:
        return session.url(path)
    if path not in resources:
        resources[path] = await session.create(path)
    return resources[path].url


def _expected(session: Session, operation: Operation | None, status: int) -> str:
    documented = operation.responses.get(status) if operation else None
    media = ", ".join(documented.content) if documented and documented.content else (
        session.contract.problem()[0])
    return f"Content-Type {media}, a body following the contract's schema, status member {status}"
