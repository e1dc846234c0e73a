"""Does an exercise's README.md state the same contract as its openapi.yaml?

`disagreements(exercise)` lists, one sentence each, every route, status, field, rule and query
parameter that one of them has and the other has not, and what makes the document unusable
(not valid OpenAPI 3.1, a write the probes cannot judge). `apilab verify` fails on any.

How the README is read is in `apilab.readme_contract`. A field table is matched with the
document's schema that has exactly its fields (the resource as the server answers it); its
rules are compared with the schemas of the bodies that write that resource (POST, PUT and
PATCH), where a client meets them: types, every constraint keyword, defaults, which fields are
required to create or replace it, and which the server alone sets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from apilab.catalog.models import Exercise
from apilab.readme_contract import UNSET, Field, FieldTable, ReadmeContract, ReadmeError, read_readme

CONSTRAINTS = ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
               "pattern", "minItems", "maxItems", "format")


def disagreements(exercise: Exercise) -> list[str]:
    """Every difference between the contract README.md states and the one openapi.yaml states."""
    from grader.contract.document import ContractError, load_contract

    path = exercise.contract
    if not path.is_file():
        return [f"there is no {path.name}: every exercise states its contract as an OpenAPI 3.1 "
                "document beside its README.md"]
    try:
        contract = load_contract(path)
    except ContractError as exc:
        return [str(exc)]
    problems = _invalid(contract.document, path.name)
    try:
        readme = read_readme(exercise.readme)
    except ReadmeError as exc:
        return [*problems, f"README.md: {exc}"]
    if path.name not in readme.links:
        problems.append(f"README.md does not link {path.name}: link it beside the contract, "
                        f"as [{path.name}]({path.name})")
    problems += list(_routes(readme, contract))
    problems += list(_parameters(readme, contract))
    for table in readme.tables:
        problems += list(_fields(table, contract))
    problems += list(_writes(contract))
    return problems


def summary(exercise: Exercise) -> str:
    """What the two agree on, in a few words."""
    readme = read_readme(exercise.readme)
    return (f"{len(readme.routes)} routes, {len(readme.tables)} field tables, "
            f"{len(readme.parameters)} query parameters")


# --- the document on its own --------------------------------------------------------------------


def _invalid(document: dict[str, Any], name: str) -> list[str]:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(document)
    except OpenAPIValidationError as exc:
        where = ".".join(str(p) for p in getattr(exc, "absolute_path", []) or [])
        message = str(getattr(exc, "message", exc)).splitlines()[0]
        return [f"{name} is not valid OpenAPI 3.1{' at ' + where if where else ''}: {message[:200]}"]
    return []


def _writes(contract: Any) -> Iterator[str]:
    for operation in contract.writes():
        if not operation.refusals:
            yield (f"{contract.source}: {operation.label} lists neither 400 nor 422, so nothing "
                   "says how it refuses an invalid body")
        if operation.success is None:
            yield f"{contract.source}: {operation.label} lists no 2xx answer"


# --- routes and parameters ----------------------------------------------------------------------


def _routes(readme: ReadmeContract, contract: Any) -> Iterator[str]:
    documented = {(op.method, op.path): op for op in contract.operations}
    for key, route in readme.routes.items():
        operation = documented.get(key)
        if operation is None:
            yield (f"README.md line {route.line}: `{route.method} {route.path}` is not in "
                   f"{contract.source}")
            continue
        for status in sorted(route.statuses - set(operation.statuses)):
            yield (f"README.md line {route.line}: `{route.method} {route.path}` answers {status}, "
                   f"which {contract.source} does not list for it")
        for status in sorted(set(operation.statuses) - route.statuses):
            yield (f"{contract.source}: {operation.label} answers {status}, which the README's "
                   f"route table (line {route.line}) does not list")
    for key, operation in documented.items():
        if key not in readme.routes:
            yield f"{contract.source}: {operation.label} is not in the README's route table"


def _parameters(readme: ReadmeContract, contract: Any) -> Iterator[str]:
    documented: dict[str, list[Any]] = {}
    for operation in contract.operations:
        for parameter in operation.params("query"):
            documented.setdefault(parameter.name, []).append((operation, parameter))
    for name, stated in readme.parameters.items():
        if name not in documented:
            yield f"README.md line {stated.line}: query parameter `{name}` is not in {contract.source}"
            continue
        for operation, parameter in documented[name]:
            if stated.types or stated.rules or stated.enum:
                yield from _same_schema(stated, parameter.schema,
                                        f"{contract.source}: {operation.label}, query parameter {name}")
    for name in documented:
        if name not in readme.parameters:
            yield f"{contract.source}: query parameter `{name}` is not in the README's parameter table"


# --- fields -------------------------------------------------------------------------------------


def _fields(table: FieldTable, contract: Any) -> Iterator[str]:
    where = f"README.md line {table.line} (the field table under “{table.heading}”)"
    schemas = _named_schemas(contract)
    names = set(table.fields)
    match = next((schema for schema in schemas.values() if set(_properties(schema)) == names), None)
    if match is None:
        nearest, schema = max(schemas.items(), key=lambda item: _overlap(names, item[1]),
                              default=(None, {}))
        if nearest is None:
            yield f"{where}: {contract.source} has no schema with these fields"
            return
        missing = sorted(names - set(_properties(schema)))
        extra = sorted(set(_properties(schema)) - names)
        yield (f"{where}: no schema of {contract.source} has exactly these fields; the nearest, "
               f"{nearest}, " + "; ".join(
                   ([f"lacks {', '.join(missing)}"] if missing else [])
                   + ([f"also has {', '.join(extra)}, which the table does not list"] if extra else [])))
        return
    writes = [op for op in contract.writes() if set(_properties(_answer(op))) == names]
    whole = [op for op in writes if op.method in ("POST", "PUT")]
    for name, stated in table.fields.items():
        place = f"README.md line {stated.line}, `{name}`"
        represented = _properties(match)[name]
        yield from _types(stated, represented, f"{place} vs {contract.source}'s answers")
        bodies = [op for op in writes if name in _properties(op.body)]
        if stated.server or stated.in_url:
            for op in bodies:
                yield (f"{place} is {'chosen by the server' if stated.server else 'in the URL'}, "
                       f"but {op.label}'s body has it")
            yield from _same_schema(stated, represented, f"{place} vs {contract.source}'s answers",
                                    types=False)
            continue
        if writes and not bodies:
            yield (f"{place}: no request body of {contract.source} has it; if the server sets it, "
                   "say `chosen by the server`")
        said: dict[str, list[str]] = {}
        for op in bodies:
            for text in _same_schema(stated, _properties(op.body)[name], place):
                said.setdefault(text, []).append(op.label)
        yield from (f"{text} (in {', '.join(labels)})" for text, labels in said.items())
        checked = whole if writes else []
        for op in checked:
            required = name in (op.body or {}).get("required", [])
            if stated.required is None:
                yield f"{place}: say whether it is `required` or `optional`"
                break
            if stated.required != required:
                yield (f"{place} is {'required' if stated.required else 'optional'}, but in "
                       f"{op.label}'s body it is {'required' if required else 'optional'}")
            default = _properties(op.body)[name].get("default", UNSET)
            if not _equal(default, stated.default):
                yield (f"{place}: the default is {_shown(stated.default)} in the README and "
                       f"{_shown(default)} in {op.label}'s body")
        if not writes and stated.required is not None and stated.required != (
                name in match.get("required", [])):
            yield (f"{place} is {'required' if stated.required else 'optional'}, but "
                   f"{contract.source} says the opposite")
        if not writes and not bodies:
            yield from _same_schema(stated, represented, f"{contract.source}, field {name}",
                                    types=False)


def _types(stated: Field, schema: dict[str, Any], where: str) -> Iterator[str]:
    from grader.contract.values import types_of

    documented = types_of(schema)
    if stated.types != documented:
        yield (f"{where}: the type is {_either(stated.types)} in the README and "
               f"{_either(documented)} in the document")
    listed = sorted(json.dumps(v) for v in schema.get("enum", []) if v is not None)
    if (stated.enum is not None or "enum" in schema) and sorted(
            map(json.dumps, stated.enum or [])) != listed:
        yield (f"{where}: the values are {_shown(stated.enum)} in the README and "
                   f"{_shown(schema.get('enum'))} in the document")


def _same_schema(stated: Field, schema: dict[str, Any], where: str, types: bool = True) -> Iterator[str]:
    if types:
        yield from _types(stated, schema, where)
    for keyword in CONSTRAINTS:
        said, documented = stated.rules.get(keyword, UNSET), schema.get(keyword, UNSET)
        if not _equal(said, documented):
            yield (f"{where}: {keyword} is {_shown(said)} in the README and {_shown(documented)} "
                   "in the document")
    items, documented_items = stated.rules.get("items", {}), schema.get("items") or {}
    for keyword in CONSTRAINTS:
        if not _equal(items.get(keyword, UNSET), documented_items.get(keyword, UNSET)):
            yield (f"{where}: each item's {keyword} is {_shown(items.get(keyword, UNSET))} in the "
                   f"README and {_shown(documented_items.get(keyword, UNSET))} in the document")


# --- helpers --------------------------------------------------------------------------------------


def _named_schemas(contract: Any) -> dict[str, dict[str, Any]]:
    return contract.schemas()


def _properties(schema: dict[str, Any] | None) -> dict[str, Any]:
    from grader.contract.document import members

    return members(schema)


def _answer(operation: Any) -> dict[str, Any]:
    success = operation.success
    return (operation.json_schema(success.status) or {}) if success else {}


def _overlap(names: set[str], schema: dict[str, Any]) -> float:
    other = set(_properties(schema))
    return len(names & other) / (len(names | other) or 1)


def _equal(a: Any, b: Any) -> bool:
    if a is UNSET or b is UNSET:
        return a is b
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or (
        isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool)
        and not isinstance(b, bool) and a == b)


def _shown(value: Any) -> str:
    return "not said" if value is UNSET else json.dumps(value)


def _either(types: set[str]) -> str:
    return " or ".join(sorted(types)) or "not said"
