"""The contract an exercise's README.md states, read from its tables.

A README explains in prose, but it states its contract in tables, and only the tables are read
(exactly: each cell by a small grammar, so nothing is guessed from prose):

- a **field table** (first column `field` or `member`, then `type` and `rules`) describes one
  resource, or the problem details object. `type` is JSON types joined by `or` or commas
  (`integer or string`, `string or null`, `array of strings`), or the enum's values as code
  (`"to-read"`, `"reading"` or `"done"`). `rules` are terms separated by `;` or `,`: `required`,
  `optional`, `not empty`, `at least N`, `at most N`, `N to M` (a unit, such as `characters`,
  makes it a length, or a number of items), `default `V``, `matches `REGEX``, `format `NAME``,
  `each <term>` (for the items of an array), `chosen by the server` (or `set by`), and `in
  the URL` (a field the path names, such as a slug). Text in
  parentheses, and terms that state no rule, explain; a term with a number or a rule's word in
  it that the grammar cannot read is an error, so a rule is never silently missed.
- a **route table** (first column `request`): each row a `METHOD /path` in code, and every
  status it may answer, as three-digit code anywhere in the row. Rows that are not a route
  ("any other method...") explain.
- a **parameter table** (first column `parameter`): each query parameter's name in code, and,
  when the table has them, its `type` and `rules` read as above.

Tables are what a learner scans to build the server, and they are cheap to read exactly; prose
stays free to explain, give examples and tell stories.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UNSET: Any = type("Unset", (), {"__repr__": lambda self: "<unset>"})()
JSON_TYPES = ("integer", "number", "string", "boolean", "object", "array", "null")
_RULE_WORDS = re.compile(r"\b(least|most|required|optional|default|empty|characters?|minimum|"
                         r"maximum|between|matches|format|server)\b|\d")
_NUMBER = r"(-?\d[\d,_]*(?:\.\d+)?)"


class ReadmeError(ValueError):
    """A table cell the grammar cannot read; the message names the line and the cell."""


@dataclass
class Field:
    """One row of a field table: the schema it states, in JSON Schema keywords."""

    name: str
    line: int
    types: set[str] = field(default_factory=set)
    enum: list[Any] | None = None
    rules: dict[str, Any] = field(default_factory=dict)  # minLength, maximum, pattern, items...
    required: bool | None = None  # None: neither required nor optional was said
    default: Any = UNSET
    server: bool = False  # chosen by the server: never in a request body
    in_url: bool = False  # named by the URL (`/pages/{slug}`): never in a request body either


@dataclass
class FieldTable:
    heading: str
    line: int
    fields: dict[str, Field]


@dataclass
class Route:
    method: str
    path: str
    line: int
    statuses: set[int] = field(default_factory=set)


@dataclass
class ReadmeContract:
    tables: list[FieldTable] = field(default_factory=list)
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    parameters: dict[str, Field] = field(default_factory=dict)
    links: set[str] = field(default_factory=set)  # every link target, to see it links the document


def read_readme(path: Path) -> ReadmeContract:
    """The contract stated in the tables of the README at `path`; ReadmeError for a cell the
    grammar cannot read."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(path.read_text(encoding="utf-8"))
    found = ReadmeContract()
    heading = ""
    for index, token in enumerate(tokens):
        if token.type == "inline":
            found.links |= {child.attrs.get("href", "") for child in token.children or []
                            if child.type == "link_open"}
            if index and tokens[index - 1].type == "heading_open":
                heading = token.content
        if token.type == "table_open":
            header, rows = _table(tokens, index)
            _read_table(found, heading, header, rows, (token.map or [0])[0] + 1)
    return found


# --- tables ---------------------------------------------------------------------------------------

Cell = list[tuple[str, str]]  # ("code" | "text", content)


def _table(tokens: list[Any], start: int) -> tuple[list[str], list[tuple[int, list[Cell]]]]:
    header: list[str] = []
    rows: list[tuple[int, list[Cell]]] = []
    row: list[Cell] = []
    line = 0
    for token in tokens[start + 1:]:
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            row, line = [], (token.map or [0])[0] + 1
        elif token.type == "inline":
            row.append([("code" if c.type == "code_inline" else "text", c.content)
                        for c in token.children or [] if c.type in ("text", "code_inline")])
        elif token.type == "tr_close":
            if not header:
                header = [_plain(cell).strip().lower() for cell in row]
            else:
                rows.append((line, row))
    return header, rows


def _read_table(found: ReadmeContract, heading: str, header: list[str],
                rows: list[tuple[int, list[Cell]]], line: int) -> None:
    kind = header[0] if header else ""
    column = {name: number for number, name in enumerate(header)}
    if kind in ("field", "member") and "type" in column:
        fields = {}
        for row_line, cells in rows:
            name = _code(cells[0])
            if name:
                fields[name] = _field(name, row_line, cells[column["type"]],
                                      cells[column["rules"]] if "rules" in column else [])
        found.tables.append(FieldTable(heading, line, fields))
    elif kind == "request":
        for row_line, cells in rows:
            match = re.fullmatch(r"([A-Z]+) (/\S*)", _code(cells[0]) or "")
            if match:
                route = found.routes.setdefault((match[1], match[2]), Route(match[1], match[2], row_line))
                route.statuses |= {int(text) for cell in cells[1:] for kind_, text in cell
                                   if kind_ == "code" and re.fullmatch(r"[1-5]\d\d", text)}
    elif kind == "parameter":
        for row_line, cells in rows:
            name = _code(cells[0])
            if name:
                found.parameters[name] = _field(
                    name, row_line, cells[column["type"]] if "type" in column else [],
                    cells[column["rules"]] if "rules" in column else [])


def _field(name: str, line: int, type_cell: Cell, rules_cell: Cell) -> Field:
    result = Field(name, line)
    try:
        _types(result, type_cell)
        for term in _terms(rules_cell):
            _rule(result, term, result.rules)
    except ReadmeError as exc:
        raise ReadmeError(f"line {line}, `{name}`: {exc}") from None
    return result


# --- the grammar of a cell ----------------------------------------------------------------------


def _types(result: Field, cell: Cell) -> None:
    for kind, text in cell:
        if kind == "code":
            value = _json(text)
            if value is None:
                result.types.add("null")
            else:
                result.enum = [*(result.enum or []), value]
                result.types.add(_json_type(value))
            continue
        for piece in re.split(r",|\bor\b", text):
            words = piece.strip().lower().removeprefix("json ").strip()
            if not words:
                continue
            match = re.fullmatch(r"array of (\w+?)s?", words)
            if match and match[1] in JSON_TYPES:
                result.types.add("array")
                result.rules["items"] = {"type": match[1]}
            elif words in JSON_TYPES:
                result.types.add(words)
            else:
                raise ReadmeError(f"cannot read the type {piece.strip()!r}; write JSON types "
                                  "(integer, number, string, boolean, array, object, null) joined "
                                  "by `or`, `array of strings`, or the values in code")


def _terms(cell: Cell) -> list[str]:
    """The terms of a rules cell, code spans kept in backticks, explanations in parentheses gone."""
    text = "".join(f"`{content}`" if kind == "code" else content for kind, content in cell)
    text = re.sub(r"\([^()]*\)", "", text.replace("**", ""))
    terms, depth, current = [], False, ""
    for index, char in enumerate(text):
        if char == "`":
            depth = not depth
        if not depth and char in ";," and text[index + 1:index + 2] in (" ", ""):
            terms.append(current)
            current = ""
        else:
            current += char
    return [term.strip() for term in [*terms, current] if term.strip()]


def _rule(result: Field, term: str, rules: dict[str, Any]) -> None:
    lower = term.lower()
    plain = re.sub(r"`[^`]*`", "", lower)
    if lower in ("required", "optional"):
        result.required = lower == "required"
    elif re.fullmatch(r"(not empty|non-empty)( string| text| list)?", lower):
        rules["minItems" if result.types == {"array"} else "minLength"] = 1
    elif lower == "may be empty":
        pass  # said so that nobody assumes a minimum
    elif lower.startswith(("chosen by the server", "set by the server")):
        result.server = True
    elif re.search(r"\bin (its|the) url\b", lower):
        result.in_url = True
    elif match := re.fullmatch(r"default `(.*)`", term, re.IGNORECASE):
        result.default = _json(match[1], must=True)
    elif match := re.fullmatch(r"matches `(.*)`", term, re.IGNORECASE):
        rules["pattern"] = match[1]
    elif match := re.fullmatch(r"format `(.*)`", term, re.IGNORECASE):
        rules["format"] = match[1]
    elif match := re.fullmatch(r"each (?:an? )?(.*)", term, re.IGNORECASE):
        items = rules.setdefault("items", {})
        inner = Field(result.name, result.line, types=set(items.get("type", "string").split()))
        _rule(inner, match[1], items)
    elif match := re.fullmatch(rf"(at least|at most) {_NUMBER}( [a-z]+)?", lower):
        _bound(rules, match[1] == "at least", _number(match[2]), match[3], result)
    elif match := re.fullmatch(rf"{_NUMBER} to {_NUMBER}( [a-z]+)?", lower):
        _bound(rules, True, _number(match[1]), match[3], result)
        _bound(rules, False, _number(match[2]), match[3], result)
    elif _RULE_WORDS.search(plain):
        raise ReadmeError(f"cannot read the rule {term!r}; write it as required, optional, not "
                          "empty, at least N, at most N, N to M (characters), default `V`, "
                          "matches `REGEX`, each ..., or chosen by the server; explanations go "
                          "in parentheses or in prose")


def _bound(rules: dict[str, Any], low: bool, value: float, unit: str | None, result: Field) -> None:
    unit = (unit or "").strip()
    if unit in ("character", "characters"):
        rules["minLength" if low else "maxLength"] = int(value)
    elif unit:
        rules["minItems" if low else "maxItems"] = int(value)
    elif result.types & {"integer", "number"}:
        rules["minimum" if low else "maximum"] = int(value) if value == int(value) else value
    else:
        raise ReadmeError("a bound on text or a list needs its unit: `1 to 500 characters`, "
                          "`at most 10 items`")


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("_", ""))


def _json(text: str, must: bool = False) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        if must:
            raise ReadmeError(f"`{text}` is not a JSON value (write strings in quotes: "
                              f'`"{text}"`)') from None
        raise ReadmeError(f"`{text}` in the type column is not a JSON value") from None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "null")


def _code(cell: Cell) -> str | None:
    return next((text for kind, text in cell if kind == "code"), None)


def _plain(cell: Cell) -> str:
    return "".join(text for _kind, text in cell)
