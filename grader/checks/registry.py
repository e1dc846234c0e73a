"""Checks that need logic, registered by name so that exercise files can `use` them.

A registered check is an async function `fn(ctx, **params)`. It makes requests through
`ctx.request(...)`, which records every exchange for the report, and fails by calling
`ctx.fail(...)` (or `ctx.expect(...)`). Its docstring says what it proves and which standard
it follows; the parameters an exercise passes in `with = {...}` are its keyword arguments,
checked against its signature when the course loads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

CheckFunction = Callable[..., Awaitable[None]]

_CHECKS: dict[str, CheckFunction] = {}


def check(name: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register `fn` under `name`. Names are unique; a second registration is a bug."""

    def register(fn: CheckFunction) -> CheckFunction:
        if name in _CHECKS:
            raise ValueError(f"check {name!r} is registered twice")
        if not (fn.__doc__ or "").strip():
            raise ValueError(f"check {name!r} needs a docstring saying what it proves")
        _CHECKS[name] = fn
        return fn

    return register


def all_checks() -> dict[str, CheckFunction]:
    """Every registered check, built-in ones included."""
    _load_builtin()
    return dict(_CHECKS)


def get(name: str) -> CheckFunction:
    _load_builtin()
    return _CHECKS[name]


def _load_builtin() -> None:
    # Importing the modules runs their @check decorators.
    from grader.checks import openapi_documents, rest, versioning  # noqa: F401
