"""What a sandbox feature is, how features are found, and which ones a run serves.

A feature is a package under `sandbox_api/features/` whose `__init__.py` exports
`FEATURE = Feature(...)`; `discover()` imports each one, so adding a folder is all it takes.
"""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from httpkit.problems import ProblemType

if TYPE_CHECKING:
    from fastapi import FastAPI

    from sandbox_api.settings import SandboxSettings

FEATURES_PACKAGE = "sandbox_api.features"

Seed = Callable[[sqlite3.Connection, int], None]
Setup = Callable[["FastAPI", "SandboxSettings"], None]


class SandboxConfigError(ValueError):
    """The sandbox cannot start as configured: an unknown feature or lab, a lab on a host that
    other machines can reach, or a feature package that breaks the rules."""


@dataclass(frozen=True)
class Feature:
    """One lesson's part of the sandbox.

    name: the folder's name, used by `--lab NAME` and `SandboxSettings.features`.
    summary: one line for `/` and, for a lab, for the warning in /docs.
    routers: its routes, under paths of its own.
    tags: OpenAPI tags (`{"name": ..., "description": ...}`) its routes use.
    schema: DDL creating its own tables (named after the feature unless they are lesson 1's).
    seed: `seed(connection, seed)` fills its tables; run in the same transaction as every
        other feature's on start and on `POST /admin/reset`.
    setup: `setup(app, settings)`, called once when the app is built, for state that is not
        a table (signing keys, say).
    links: what `/` lists for it, such as {"books": "/books"}.
    problem_types: problem types of its own, documented at /problems/<slug>.
    lab: vulnerable on purpose: served only when switched on, on loopback, and marked.
    """

    name: str
    summary: str
    routers: Sequence[APIRouter] = ()
    tags: Sequence[Mapping[str, str]] = ()
    schema: str = ""
    seed: Seed | None = None
    setup: Setup | None = None
    links: Mapping[str, str] = field(default_factory=dict)
    problem_types: Sequence[ProblemType] = ()
    lab: bool = False


def discover(package: str = FEATURES_PACKAGE) -> dict[str, Feature]:
    """Every feature under `package`, by name: each subpackage's `FEATURE`."""
    found: dict[str, Feature] = {}
    root = importlib.import_module(package)
    for module in pkgutil.iter_modules(root.__path__):
        if not module.ispkg or module.name.startswith("_"):
            continue
        imported = importlib.import_module(f"{package}.{module.name}")
        feature: Any = getattr(imported, "FEATURE", None)
        if not isinstance(feature, Feature):
            raise SandboxConfigError(f"{package}.{module.name} has no FEATURE = Feature(...) in "
                                     "its __init__.py")
        if feature.name != module.name:
            raise SandboxConfigError(f"{package}.{module.name} declares a feature named "
                                     f"{feature.name!r}; name it after its folder")
        found[feature.name] = feature
    return dict(sorted(found.items()))


def select(catalog: Mapping[str, Feature], features: frozenset[str] | None,
           labs: frozenset[str]) -> list[Feature]:
    """The features a run serves: `features` (default: every non-lab one) and then `labs`,
    refusing unknown names with the list of known ones."""
    plain = sorted(name for name, f in catalog.items() if not f.lab)
    known_labs = sorted(name for name, f in catalog.items() if f.lab)
    wanted = plain if features is None else sorted(features)
    for name in wanted:
        if name in known_labs:
            raise SandboxConfigError(f"{name} is a lab, vulnerable on purpose: switch it on with "
                                     f"--lab {name}")
        if name not in catalog:
            raise SandboxConfigError(f"no sandbox feature named {name!r}; known features: "
                                     f"{_listing(plain)}")
    for name in sorted(labs):
        if name not in known_labs:
            raise SandboxConfigError(f"no lab named {name!r}; known labs: {_listing(known_labs)}")
    return [catalog[name] for name in (*wanted, *sorted(labs))]


def _listing(names: list[str]) -> str:
    return ", ".join(names) if names else "none yet"
