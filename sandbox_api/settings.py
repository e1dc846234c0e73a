"""How one sandbox run is configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SandboxSettings:
    """Settings for one sandbox API instance.

    db_path: the SQLite file; None means a fresh temporary file per app.
    seed: drives the generated bookshop data, so every learner sees the same books.
    labs: names of switchable weaknesses for the security lesson (none exist yet).
    """

    db_path: Path | None = None
    seed: int = 42
    labs: frozenset[str] = field(default_factory=frozenset)
