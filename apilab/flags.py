"""Capturing the security lab's flags: `apilab flag CHALLENGE FLAG` checks a flag against this
installation's secret and records the capture, for `apilab lessons`, the course map and the hub.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sandbox_api.lab_flags import (
    CHALLENGES,
    CHALLENGES_BY_ID,
    LAB,
    Challenge,
    install_secret,
    is_flag,
)


class FlagError(ValueError):
    """The flag could not be checked: an unknown challenge (the message lists the known ones)."""


@dataclass(frozen=True)
class Capture:
    challenge: Challenge
    correct: bool
    new: bool  # False when this challenge was captured before


def challenge_named(name: str) -> Challenge:
    """The challenge with this id, or this OWASP category (`API1`, `api1`)."""
    if name in CHALLENGES_BY_ID:
        return CHALLENGES_BY_ID[name]
    for challenge in CHALLENGES:
        if challenge.category.lower() == name.strip().lower():
            return challenge
    known = ", ".join(f"{c.id} ({c.category})" for c in CHALLENGES)
    raise FlagError(f"no challenge {name!r}; the lab's challenges are: {known}")


def capture(store, home: Path, name: str, flag: str) -> Capture:  # noqa: ANN001 (a Store)
    """Check `flag` for the challenge `name`; record it in `store` when it is right."""
    challenge = challenge_named(name)
    if not is_flag(install_secret(home), challenge.id, flag):
        return Capture(challenge, correct=False, new=False)
    return Capture(challenge, correct=True, new=store.record_flag(challenge.id, challenge.category))


def challenge_of(home: Path, flag: str) -> Challenge | None:
    """The challenge whose flag `flag` is on this installation; None when it is no flag here."""
    secret = install_secret(home)
    return next((c for c in CHALLENGES if is_flag(secret, c.id, flag)), None)


def captured_lines(captured: Mapping[str, datetime]) -> list[str]:
    """The lab's challenges, one line each, marked when captured."""
    return [f"   {'⚑' if c.id in captured else '·'} {c.category:<5} {c.id:<16} {c.title}"
            for c in CHALLENGES]


def summary(captured: Mapping[str, datetime]) -> str:
    count = sum(1 for c in CHALLENGES if c.id in captured)
    return f"lab: {count} of {len(CHALLENGES)} flags captured (apilab sandbox --lab {LAB})"
