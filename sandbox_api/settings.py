"""How one sandbox run is configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SandboxSettings:
    """Settings for one sandbox API instance.

    db_path: the SQLite file; None means a fresh temporary file per app.
    seed: drives every feature's generated data, so every learner sees the same books.
    features: the features to serve, by name; None means every feature that is not a lab.
    labs: lab features to switch on, by name (vulnerable on purpose, loopback only).
    lab_secret: the installation's secret that a lab derives its flags from
        (`sandbox_api.lab_flags`); None makes one for this app alone.
    """

    db_path: Path | None = None
    seed: int = 42
    features: frozenset[str] | None = None
    labs: frozenset[str] = field(default_factory=frozenset)
    lab_secret: bytes | None = field(default=None, repr=False)
