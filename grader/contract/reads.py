"""Probes of what a client reads: path and query parameters of every shape are answered with a
documented status, never a 5xx; every item of a list is what a GET of that item shows.

A path parameter gets text of any kind (Unicode, digits beyond any integer type, punctuation);
a query parameter gets values that break its schema (which must be refused, where the contract
refuses invalid input) and garbage that may or may not parse (any documented status will do:
` 5`, `+5` or `05` for an integer is the server's to read or refuse); a cursor gets garbage and
real cursors changed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from hypothesis import strategies as st

from grader.contract.document import Operation
from grader.contract.explore import Finding
from grader.contract.judge import body_problem, schema_problem, status_problem
from grader.contract.probing import Resource
from grader.contract.session import Session, shown
from grader.contract.strategies import CHARACTERS, kept
from grader.contract.values import types_of, valid
from grader.http_helpers import next_link

MAX_PAGES = 60
MAX_ITEMS = 80  # items compared with their own GET, per list
PARAMETER_EXAMPLES = 3
# Any text, numbers beyond every integer type, and the shapes servers trip on.
_GARBAGE = kept(st.one_of(
    st.text(CHARACTERS, min_size=1, max_size=24),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.from_regex(r"[0-9]{19,40}", fullmatch=True, alphabet=CHARACTERS),
    st.sampled_from(["%", "null", "undefined", "-0", "1e309", "0x10", "NaN", "[]", "{}", "'", '"']),
), lambda text: text not in (".", ".."))
# A path segment holds no "/": sent as %2F it is data (RFC 3986 §2.2), but web stacks decode it
# before routing (Starlette and Werkzeug then redirect, Apache refuses it): what the server
# answers is its framework's, not the learner's.
_SEGMENT = kept(_GARBAGE, lambda text: "/" not in text)


async def walk(session: Session, collection: str, query: dict[str, str] | None = None) -> list[Any]:
    """Every item of the list at `collection`, following `rel="next"` (at most MAX_PAGES pages,
    as large as the contract's `limit` allows)."""
    operation = session.contract.operation("GET", collection)
    assert operation is not None
    query = dict(query or {})
    limit = next((p for p in operation.params("query") if p.name == "limit"), None)
    if limit is not None and "maximum" in limit.schema:
        query.setdefault("limit", str(limit.schema["maximum"]))
    url = session.url(collection) + (f"?{urlencode(query)}" if query else "")
    items: list[Any] = []
    for _page in range(MAX_PAGES):
        response = await session.send("GET", url)
        session.ctx.expect(response.status == 200, f"GET {url} answered {response.status}",
                           expected="status 200", received=f"status {response.status}")
        found = _items(operation, session.ctx.json(response))
        items += found
        url = next_link(response)
        if url is None or not found:
            break
    return items


async def parameters(session: Session) -> Finding | None:
    """The first request with an odd path or query parameter answered against the contract."""
    for operation in session.contract.operations:
        cases: list[tuple[tuple[str, str, bool | None], st.SearchStrategy[str]]] = [
            (("path", parameter.name, None), _SEGMENT) for parameter in operation.params("path")]
        for parameter in operation.params("query"):
            cases += [(("query", parameter.name, refused), strategy)
                      for strategy, refused in _query_values(parameter.schema)]
        where = await _path_of(session, operation) if operation.params("query") else {}

        async def probe(case: tuple[str, str, bool | None], value: str, o: Operation = operation,
                        w: dict[str, str] | str = where) -> Finding | None:
            kind, name, refused = case
            if kind == "path":
                return await _answered(session, o, {name: value}, {}, None)
            return await _answered(session, o, w, {name: value}, refused)

        if finding := await session.explorer.sweep(cases, probe, PARAMETER_EXAMPLES):
            return finding
        if finding := await _changed_cursors(session, operation):
            return finding
    return None


async def lists_match_items(session: Session) -> Finding | None:
    """The first listed item whose fields differ from a GET of that item, in a list holding items
    made for it, one of them written again since."""
    for operation in session.contract.operations:
        item_path = session.contract.item_path(operation.path)
        if operation.method != "GET" or item_path is None or session.contract.operation(
                "GET", item_path) is None or _items_key(operation) is None:
            continue
        made = [await session.create(item_path) for _ in range(3)]  # whatever ran before
        await _rewritten(session, item_path, made[-1])
        mark = session.mark()
        items = await walk(session, operation.path)
        for item in session.explorer.rng.sample(items, min(len(items), MAX_ITEMS)):
            if session.explorer.time_up():
                break
            if finding := await session.guarded(mark, _matches_its_own(session, item_path, item, mark)):
                return finding
            mark = session.mark()
    return None


async def _rewritten(session: Session, item_path: str, resource: Resource) -> None:
    """`resource` written again with another valid body (PUT, else PATCH), so that the list holds
    an item changed since it was made: a list kept apart from its items shows it as it was. How
    the write is answered is the write probes' business."""
    for method in ("PUT", "PATCH"):
        operation = session.contract.operation(method, item_path)
        if operation is not None and operation.body is not None:
            body = await session.explorer.draw(valid(operation.body), novel=True)
            await session.write(method, resource, body)
            return


# --- one example ----------------------------------------------------------------------------------


async def _answered(session: Session, operation: Operation, path: dict[str, str] | str,
                    query: dict[str, str], refused: bool | None) -> Finding | None:
    mark = session.mark()

    async def work() -> Finding | None:
        url = session.url(operation.path, path) if isinstance(path, dict) else path
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        body = await _body_for(session, operation)
        response = await session.send(operation.method, url, **body)
        named = ", ".join(f"{k} = {shown(v)}" for k, v in {**(path if isinstance(path, dict) else {}),
                                                              **query}.items())
        if problem := status_problem(operation, response):
            return Finding(f"{problem}, for {named}", expected="status " + " or ".join(
                str(s) for s in operation.statuses), received=f"status {response.status} "
                f"{response.reason}", exchanges=session.since(mark))
        if refused and response.status not in operation.refusals:
            return Finding(f"{operation.method} {url} took {named}, which breaks the contract's "
                           f"schema for it ({json.dumps(_rule(operation, query))})",
                           expected="status " + " or ".join(str(s) for s in operation.refusals),
                           received=f"status {response.status} {response.reason}",
                           exchanges=session.since(mark))
        if response.status == 200 and operation.method == "GET" and (
                problem := body_problem(operation.json_schema(200), response, "the answer")):
            return Finding(f"GET {url}: {problem}", expected="a body that follows the schema",
                           received=response.text[:300], exchanges=session.since(mark))
        return None

    return await session.guarded(mark, work())


async def _matches_its_own(session: Session, item_path: str, item: Any, mark: int) -> Finding | None:
    item_id = session.id_of(item, item_path)
    if item_id is None:
        return Finding(f"a listed item has no {item_path.rsplit('{', 1)[-1].rstrip('}')} to find it by",
                       expected="each item with its id", received=shown(item)[:200],
                       exchanges=session.since(mark))
    operation = session.contract.operation("GET", item_path)
    assert operation is not None
    name = item_path.rsplit("{", 1)[-1].rstrip("}")
    url = session.url(item_path, {name: item_id})
    response = await session.send("GET", url)
    if response.status != 200:
        return Finding(f"the list shows an item that GET {url} cannot find",
                       expected="status 200", received=f"status {response.status} {response.reason}",
                       exchanges=session.since(mark)[-1:])
    own = session.ctx.json(response)
    if isinstance(own, dict) and isinstance(item, dict):
        for field, listed in item.items():
            if field not in own or _json(own[field]) != _json(listed):
                return Finding(f"the list shows {field} = {shown(listed)} for the item at {url}, "
                               f"but GET {url} shows {shown(own.get(field))[:120]}",
                               expected=f"{field} = {shown(own.get(field))[:120]}, as GET shows it",
                               received=f"{field} = {shown(listed)[:120]} in the list",
                               exchanges=session.since(mark)[-1:])
    schema = operation.json_schema(200)
    if schema is not None and (problem := schema_problem(schema, own, f"GET {url}")):
        return Finding(problem, expected="a body that follows the schema", received=shown(own)[:300],
                       exchanges=session.since(mark)[-1:])
    return None


# --- helpers --------------------------------------------------------------------------------------


def _query_values(schema: dict[str, Any]) -> list[tuple[st.SearchStrategy[str], bool]]:
    """(values, must be refused) for a query parameter: what breaks its schema, then garbage."""
    kinds = types_of(schema)
    broken: list[st.SearchStrategy[str]] = []
    if "enum" in schema:
        broken.append(valid({"type": "string", "minLength": 1, "maxLength": 12,
                             "not": {"enum": [str(v) for v in schema["enum"]]}}))
    elif kinds & {"integer", "number"} and "string" not in kinds:
        broken.append(valid({"type": "string", "pattern": "^[A-Za-z_]{1,8}$"}))
        if "number" not in kinds:
            broken.append(st.sampled_from(["1.5", "2.25", "0.1"]))
        if "minimum" in schema:
            broken.append(valid({"type": "integer", "exclusiveMaximum": schema["minimum"]}).map(str))
        if "maximum" in schema:
            broken.append(valid({"type": "integer", "exclusiveMinimum": schema["maximum"]}).map(str))
    return [(strategy, True) for strategy in broken] + [(_GARBAGE | st.just(""), False)]


def _rule(operation: Operation, query: dict[str, str]) -> Any:
    parameter = next(p for p in operation.params("query") if p.name in query)
    return {parameter.name: {k: v for k, v in parameter.schema.items() if k not in ("description",)}}


async def _path_of(session: Session, operation: Operation) -> dict[str, str] | str:
    if "{" not in operation.path:
        return {}
    return (await session.create(operation.path)).url


async def _body_for(session: Session, operation: Operation) -> dict[str, Any]:
    if operation.body is None:
        return {}
    return {"json_body": await session.explorer.draw(valid(operation.body))}


async def _changed_cursors(session: Session, operation: Operation) -> Finding | None:
    """Real cursors, changed: cut short, with garbage added, or replaced by garbage of their kind."""
    cursor = next((p for p in operation.params("query") if p.name == "cursor"), None)
    item_path = session.contract.item_path(operation.path)
    if cursor is None or operation.method != "GET" or item_path is None:
        return None
    for _ in range(3):
        await session.create(item_path)
    first = await session.send("GET", session.url(operation.path) + "?limit=1")
    following = next_link(first)
    issued = dict(parse_qsl(urlsplit(following).query)).get("cursor") if following else None
    if not issued:
        return None
    strategy = kept(st.one_of(
        st.integers(0, max(len(issued) - 1, 0)).map(lambda n: issued[:n]),
        _GARBAGE.map(lambda text: issued + text),
        st.integers(0, len(issued) - 1).flatmap(lambda n: _GARBAGE.map(
            lambda text: issued[:n] + text[:1] + issued[n + 1:]))), lambda c: c != issued)
    return await session.explorer.search(
        strategy.map(lambda value: {"cursor": value}),
        lambda query: _answered(session, operation, {}, query, None), PARAMETER_EXAMPLES)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _items_key(operation: Operation) -> str | None:
    """Where a list's items are: "$" for a bare array, else its first array member."""
    schema = operation.json_schema(200) or {}
    if "array" in types_of(schema) and "type" in schema:
        return "$"
    return next((name for name, sub in (schema.get("properties") or {}).items()
                 if sub.get("type") == "array"), None)


def _items(operation: Operation, document: Any) -> list[Any]:
    key = _items_key(operation)
    found = document if key == "$" else (document.get(key) if isinstance(document, dict) else None)
    return found if isinstance(found, list) else []
