"""Every sqlite3 failure a learner could meet, turned into a `StoreError` that says what to do."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar


class StoreError(Exception):
    """The progress database cannot be used. The message says what happened and what to do."""


P = ParamSpec("P")
T = TypeVar("T")


def explain(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        advice = ("it is read-only. Make it writable, or point APILAB_HOME at a folder you can "
                  "write to")
    elif "disk is full" in text or "disk i/o" in text:
        advice = "the disk is full or failing. Free some space and try again"
    elif "locked" in text or "busy" in text:
        advice = "another apilab process is holding it. Close it and try again"
    elif "closed database" in text:
        advice = "this Store was already closed; open a new one"
    elif "unable to open" in text:
        advice = "it could not be opened. Check that its folder exists and is writable"
    elif "malformed" in text or "not a database" in text or "corrupt" in text:
        advice = (f"it is damaged. Move it aside: mv {path} {path}.broken; apilab then starts "
                  "a new, empty one, and your old runs stay in the .broken file")
    else:  # not the file's fault: say so, rather than advise moving good progress aside
        advice = "this looks like a bug in apilab, not a problem with the file. Please report it"
    return StoreError(f"cannot use the progress database {path} ({exc}): {advice}.")


def guarded(method: Callable[P, T]) -> Callable[P, T]:
    """Turn sqlite3 errors in a Store method into a StoreError naming the file."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise explain(args[0].path, exc) from None  # type: ignore[attr-defined]

    return wrapper
