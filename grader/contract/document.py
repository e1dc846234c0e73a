"""An exercise's contract as data: its OpenAPI 3.1 document, read into what the probes need.

`load_contract(path)` reads `openapi.yaml`, resolves its local `$ref`s (the document refers to
nothing outside itself) and gives a `Contract`: every operation with its parameters, its JSON
request body schema and every status it may answer, each with its media types and schema. An
operation that documents nothing but 405 marks a method the path does not support, and is not
an operation of the contract.

Schemas are JSON Schema 2020-12, as OpenAPI 3.1 has them; OpenAPI's own annotations are left in
(validators and generators ignore keywords they do not know).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")
WRITE_METHODS = ("POST", "PUT", "PATCH")
# The statuses that refuse invalid input: the contract lists those it allows (RFC 9110 §15.5.1, §15.5.21).
REFUSALS = (400, 422)
PROBLEM_JSON = "application/problem+json"


class ContractError(ValueError):
    """The document cannot be read as a contract. The message names the file and the place."""


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "path", "query" or "header"
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Response:
    """One documented status: its media types (each with its schema, or None) and headers."""

    status: int
    content: dict[str, dict[str, Any] | None]
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # the template, e.g. /books/{id}
    parameters: tuple[Parameter, ...]
    body: dict[str, Any] | None  # the schema of its JSON request body
    responses: dict[int, Response]
    secured: bool = False  # it needs credentials (a security requirement that is not empty)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def statuses(self) -> list[int]:
        return sorted(self.responses)

    @property
    def refusals(self) -> list[int]:
        """The statuses with which it refuses invalid input (400 and 422 where documented)."""
        return [status for status in REFUSALS if status in self.responses]

    @property
    def success(self) -> Response | None:
        """Its first documented 2xx response."""
        return next((self.responses[s] for s in self.statuses if 200 <= s < 300), None)

    def params(self, location: str) -> list[Parameter]:
        return [p for p in self.parameters if p.location == location]

    def json_schema(self, status: int) -> dict[str, Any] | None:
        """The schema of the JSON body it answers with `status`, if one is documented."""
        response = self.responses.get(status)
        for media_type, schema in (response.content if response else {}).items():
            if is_json(media_type):
                return schema
        return None


@dataclass(frozen=True)
class Contract:
    source: str  # the file's name, for messages
    operations: tuple[Operation, ...]
    paths: tuple[str, ...]  # in document order
    document: dict[str, Any] = field(repr=False)  # as written, with its references

    def only(self, paths: Sequence[str]) -> Contract:
        """This contract with only the operations at `paths` (each one documented) to probe."""
        if unknown := [path for path in paths if path not in self.paths]:
            raise ContractError(f"{self.source} documents no path {', '.join(unknown)}; its paths "
                                f"are {', '.join(self.paths)}")
        return replace(
            self, operations=tuple(op for op in self.operations if op.path in paths),
            paths=tuple(path for path in self.paths if path in paths))

    @property
    def documented_paths(self) -> list[str]:
        """Every path of the document, those left out of the probes (see `only`) included."""
        return list(self.document.get("paths") or {})

    def operation(self, method: str, path: str) -> Operation | None:
        return next((op for op in self.operations if op.method == method and op.path == path), None)

    def methods(self, path: str) -> list[str]:
        """The methods the contract documents for `path`, in document order."""
        return [op.method for op in self.operations if op.path == path]

    def writes(self) -> Iterator[Operation]:
        """Every POST, PUT and PATCH with a JSON body."""
        return (op for op in self.operations if op.method in WRITE_METHODS and op.body is not None)

    def item_path(self, collection: str) -> str | None:
        """`/books/{id}` for `/books`: the path one parameter segment below it, if documented."""
        return next((p for p in self.paths if p.startswith(collection.rstrip("/") + "/{")
                     and p.count("/") == collection.rstrip("/").count("/") + 1 and p.endswith("}")),
                    None)

    def collection_path(self, item: str) -> str | None:
        """`/books` for `/books/{id}`, when `item` ends in a parameter and its parent is documented."""
        parent = item.rsplit("/", 1)[0]
        return parent if item.endswith("}") and parent in self.paths else None

    def as_read(self, path: str, document: Any) -> Any:
        """`document` (a write's answer for a resource at `path`, its item or collection path) as
        a GET of the item shows it: without the members the GET's schema leaves out (a secret
        shown only in the 201, say), or whole when that schema names no members."""
        item = path if path.endswith("}") else self.item_path(path)
        read = self.operation("GET", item) if item else None
        names = members(read.json_schema(200) if read else None)
        if not names or not isinstance(document, dict):
            return document
        return {name: value for name, value in document.items() if name in names}

    def schemas(self) -> dict[str, dict[str, Any]]:
        """The document's named schemas (components.schemas), their references resolved."""
        named = (self.document.get("components") or {}).get("schemas") or {}
        return {name: _resolve(schema, self.document, (), self.source)
                for name, schema in named.items() if isinstance(schema, dict)}

    def problem(self) -> tuple[str, dict[str, Any] | None]:
        """The shape of an error the contract has no operation for (an unknown route, a 405):
        the media type and schema of its 404 answers, or else of its first error answer."""
        errors = [r for op in self.operations for r in op.responses.values() if r.status >= 400
                  and r.content]
        chosen = next((r for r in errors if r.status == 404), errors[0] if errors else None)
        if chosen is None:
            return PROBLEM_JSON, None
        media_type, schema = next(iter(chosen.content.items()))
        return media_type, schema


def members(schema: Any) -> dict[str, Any]:
    """The members an object schema names, with their schemas, those of its `allOf` parts
    included (`allOf: [Key, {key}]` has Key's members and `key`)."""
    if not isinstance(schema, dict):
        return {}
    found: dict[str, Any] = {}
    for part in schema.get("allOf") or []:
        found |= members(part)
    return found | (schema.get("properties") or {})


def is_json(media_type: str) -> bool:
    media_type = media_type.split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def load_contract(path: Path) -> Contract:
    """The contract in the OpenAPI document at `path`; ContractError saying what is wrong."""
    stat = path.stat()
    return _load(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load(path: Path, _mtime: int, _size: int) -> Contract:
    import yaml  # loaded on first use: commands that grade no contract start faster

    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_loader(yaml))
    except (OSError, yaml.YAMLError) as exc:
        raise ContractError(f"{path.name}: cannot be read as YAML: {exc}") from None
    return read_contract(document, path.name)


def _loader(yaml: Any) -> Any:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_contract(document: Any, source: str = "openapi.yaml") -> Contract:
    """The contract in an OpenAPI document already parsed (a dict)."""
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise ContractError(f"{source}: not an OpenAPI 3.1 document (it needs `openapi: 3.1.0`)")
    resolved = _resolve(document, document, (), source)
    secured_by_default = bool(resolved.get("security"))
    operations, paths = [], []
    for path, item in (resolved.get("paths") or {}).items():
        if not isinstance(item, dict):
            raise ContractError(f"{source}: paths.{path} is not an object")
        paths.append(path)
        shared = item.get("parameters", [])
        for method in METHODS:
            if method in item:
                where = f"{source}: paths.{path}.{method}"
                operation = _operation(method.upper(), path, item[method], shared, where,
                                       secured_by_default)
                if set(operation.responses) != {405}:  # a documented "not allowed"
                    operations.append(operation)
    return Contract(source, tuple(operations), tuple(paths), document)


def _operation(method: str, path: str, spec: Mapping[str, Any], shared: list[Any], where: str,
               secured_by_default: bool) -> Operation:
    parameters: dict[tuple[str, str], Parameter] = {}
    for raw in [*shared, *spec.get("parameters", [])]:  # an operation's own override the path's
        if raw.get("in") in ("path", "query", "header"):
            parameters[(raw["name"], raw["in"])] = Parameter(
                raw["name"], raw["in"], bool(raw.get("required", raw["in"] == "path")),
                raw.get("schema") or {})
    body = None
    for media_type, content in ((spec.get("requestBody") or {}).get("content") or {}).items():
        if is_json(media_type):
            body = (content or {}).get("schema") or {}
            break
    responses = {}
    for status, response in (spec.get("responses") or {}).items():
        if not str(status).isdigit():
            raise ContractError(f"{where}.responses.{status}: list every status by its number "
                                "(a range or `default` says too little to probe)")
        content = {media_type: (value or {}).get("schema")
                   for media_type, value in ((response or {}).get("content") or {}).items()}
        responses[int(status)] = Response(int(status), content,
                                          tuple((response or {}).get("headers") or {}))
    if not responses:
        raise ContractError(f"{where}: documents no response")
    security = spec.get("security")
    secured = bool(security) and all(bool(requirement) for requirement in security) if (
        security is not None) else secured_by_default
    return Operation(method, path, tuple(parameters.values()), body, responses, secured)


def _resolve(node: Any, root: dict[str, Any], seen: tuple[str, ...], source: str) -> Any:
    """`node` with every `$ref` replaced by what it points at (its siblings kept, as 2020-12 does)."""
    if isinstance(node, list):
        return [_resolve(item, root, seen, source) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    resolved = {key: _resolve(value, root, seen, source) for key, value in node.items()
                if key != "$ref"}
    if reference is None:
        return resolved
    if not isinstance(reference, str) or not reference.startswith("#/"):
        raise ContractError(f"{source}: $ref {reference!r} points outside the document; "
                            "a contract refers only to itself (#/components/...)")
    if reference in seen:
        raise ContractError(f"{source}: $ref {reference} refers to itself; recursive schemas "
                            "cannot be probed")
    target = _pointer(root, reference, source)
    return {**_resolve(copy.deepcopy(target), root, (*seen, reference), source), **resolved}


def _pointer(root: dict[str, Any], reference: str, source: str) -> Any:
    try:
        return json_pointer(root, reference)
    except LookupError:
        raise ContractError(f"{source}: $ref {reference} points at nothing") from None


def json_pointer(root: Mapping[str, Any], reference: str) -> Any:
    """What a local reference (`#/components/schemas/Book`, RFC 6901) points at in `root`;
    LookupError when nothing is there."""
    node: Any = root
    for part in reference.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            raise LookupError(reference)
        node = node[part]
    return node
