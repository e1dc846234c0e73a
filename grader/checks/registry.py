"""Checks and fixtures that need logic, registered by name so that exercise files can `use` them.

A registered check is an async function `fn(ctx, *, param: type, ...)` marked `@check("name")`;
a registered fixture is an async function marked `@fixture("name")` that returns the value it
prepares. Both live in topic modules beside this one, under `grader/checks/` (one per lesson
topic: `rest.py`, later `auth.py`...), found by discovery: adding a module is enough, there is
no list to edit. A function makes requests through `ctx.request(...)` (or `ctx.service(name)`), which
records every exchange for the report, and fails by calling `ctx.fail(...)` or `ctx.expect(...)`.
Its docstring says what it proves and which standard it follows.

The keyword parameters are what an exercise passes in `with = {...}`; their type annotations are
the contract. `Registered.validate` checks a `with` table against them (strictly: TOML values are
not converted, so `limit = "2"` is an error, not 2), when the course loads and again before a run.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, Required

from pydantic import ConfigDict, TypeAdapter
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

Kind = Literal["check", "fixture"]
TOPICS = "grader.checks"  # the package whose every module (but this one) is a topic
CheckFunction = Callable[..., Awaitable[None]]
_MARK = "__apilab_registered__"


class RegistryError(Exception):
    """Two registrations under one name, or a function the registry cannot use: a bug in apilab."""


@dataclass(frozen=True)
class Registered:
    """One registered check or fixture: its function, where it lives, and its parameters."""

    kind: Kind
    name: str
    fn: Callable[..., Awaitable[Any]]
    fields: dict[str, Any] = field(repr=False)  # parameter name -> Required[hint] or NotRequired

    @functools.cached_property
    def params(self) -> TypeAdapter[dict[str, Any]]:
        """The validator of `with` tables, built on first use: a run needs only its own checks'."""
        return _params_adapter(self.kind, self.name, self.fields)

    @property
    def module(self) -> str:
        return self.fn.__module__

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.fn) or ""

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """`params` checked against the function's keyword parameters: the keyword arguments
        to call it with. Raises pydantic's ValidationError, whose locations are parameter names."""
        return self.params.validate_python(dict(params))


def check(name: str) -> Callable[[CheckFunction], CheckFunction]:
    """Mark `fn` as the registered check `name`. Its module must be a topic under grader/checks/."""
    return _marker("check", name)


def fixture(name: str) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Mark `fn` as the registered fixture `name`: it prepares a value once per run."""
    return _marker("fixture", name)


@dataclass(frozen=True)
class Registry:
    checks: dict[str, Registered]
    fixtures: dict[str, Registered]

    def of(self, kind: Kind) -> dict[str, Registered]:
        return self.checks if kind == "check" else self.fixtures


def discover(package: str = TOPICS) -> Registry:
    """Import every module of `package` and collect the checks and fixtures they mark.

    A name registered twice (in one module or two) raises RegistryError naming both places.
    """
    found = Registry({}, {})
    root = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or f"{package}.{info.name}" == __name__:
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for value in vars(module).values():
            registered = registration(value)
            if registered is None or registered.fn.__module__ != module.__name__:
                continue  # not marked, or imported from another topic (counted there)
            table = found.of(registered.kind)
            other = table.get(registered.name)
            if other is not None and other.fn is not registered.fn:
                raise RegistryError(f"{registered.kind} {registered.name!r} is registered twice: "
                                    f"in {other.module} and in {registered.module}")
            table[registered.name] = registered
    return found


def registration(fn: Any) -> Registered | None:
    """How `fn` was registered by `@check` or `@fixture`, or None."""
    return getattr(fn, _MARK, None)


@functools.cache
def default() -> Registry:
    """The registry of the topic modules under grader/checks/, discovered once per process."""
    return discover()


def all_checks() -> dict[str, CheckFunction]:
    """Every registered check's function, by name."""
    return {name: registered.fn for name, registered in default().checks.items()}


def get(name: str) -> CheckFunction:
    """The function of the registered check `name` (called without validating its parameters);
    KeyError when there is none."""
    return default().checks[name].fn


def get_check(name: str) -> Registered:
    """The registered check `name`; KeyError when there is none."""
    return default().checks[name]


def get_fixture(name: str) -> Registered:
    """The registered fixture `name`; KeyError when there is none."""
    return default().fixtures[name]


# --- building the parameter validator -----------------------------------------------------------


def _marker(kind: Kind, name: str) -> Callable[[Any], Any]:
    def mark(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        if not inspect.iscoroutinefunction(fn):
            raise RegistryError(f"{kind} {name!r} must be an async function")
        if not (fn.__doc__ or "").strip():
            raise RegistryError(f"{kind} {name!r} needs a docstring saying what it proves")
        setattr(fn, _MARK, Registered(kind, name, fn, _params_fields(kind, name, fn)))
        return fn

    return mark


def _params_fields(kind: Kind, name: str, fn: Callable[..., Any]) -> dict[str, Any]:
    """The typed keyword parameters of `fn(ctx, *, a: int, b: str = "x")`; RegistryError for a
    parameter an exercise file could not name."""
    hints = typing.get_type_hints(fn, include_extras=True)
    _ctx, *rest = inspect.signature(fn).parameters.values()
    fields: dict[str, Any] = {}
    for parameter in rest:
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise RegistryError(f"{kind} {name!r}: parameter {parameter.name!r} must be keyword-only "
                                "(put it after `*`), as exercise files name every parameter")
        hint = hints.get(parameter.name, Any)
        required = parameter.default is inspect.Parameter.empty
        fields[parameter.name] = Required[hint] if required else NotRequired[hint]
    return fields


def _params_adapter(kind: Kind, name: str, fields: dict[str, Any]) -> TypeAdapter[dict[str, Any]]:
    """A validator of `with` tables with these fields."""
    # TOML values are typed already: nothing is converted, and unknown keys are refused.
    params = TypedDict(f"{kind.title()}{name.title().replace('-', '')}Params", fields)  # type: ignore[misc]
    params.__pydantic_config__ = ConfigDict(extra="forbid", strict=True)  # type: ignore[attr-defined]
    return TypeAdapter(params)
