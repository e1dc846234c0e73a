"""Flags of the security lab: which challenges there are, the installation's secret, and how a
flag is derived from the two.

A flag is an HMAC of the challenge's id under a secret made once per installation (a file under
APILAB_HOME), so no two installations share flags: one copied from a friend or a write-up is
wrong here. The lab reveals a flag when an exploit succeeds; `apilab flag` checks one with the
same secret. Standard library only: `apilab flag` and `apilab lessons` read this module without
loading the web stack.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

LAB = "security"  # the sandbox lab (`apilab sandbox --lab security`) whose flags these are
SECRET_FILE = "lab-secret"
SECRET_BYTES = 32
FLAG_PREFIX = "apilab{"


@dataclass(frozen=True)
class Challenge:
    """One exploit of the lab: its stable id, its OWASP API Security Top 10 (2023) category,
    and what the learner is asked to do."""

    id: str
    category: str
    title: str


CHALLENGES = (
    Challenge("bola", "API1", "Read another customer's order"),
    Challenge("alg-none", "API2", "Be someone else with a token nobody signed"),
    Challenge("mass-assignment", "API3", "Sign up as an admin"),
    Challenge("page-size", "API4", "Ask for more products than any page should hold"),
    Challenge("bfla", "API5", "Use an admin function as a customer"),
    Challenge("coupon-reuse", "API6", "Redeem the welcome coupon twice"),
    Challenge("ssrf", "API7", "Make the shop fetch the cloud's credentials"),
    Challenge("stack-trace", "API8", "Read the shop's configuration in an error"),
    Challenge("old-version", "API9", "Find the version the shop forgot"),
)
CHALLENGES_BY_ID = {challenge.id: challenge for challenge in CHALLENGES}


def install_secret(home: Path) -> bytes:
    """The installation's secret, kept in `home/lab-secret` (owner-only) and made on first use."""
    path = home / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except ValueError:
        raise ValueError(f"{path} is damaged (it should hold {SECRET_BYTES * 2} hex digits): "
                         "delete it to make a new one; flags captured so far stay recorded, "
                         "new flags will differ") from None
    home.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(SECRET_BYTES)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process made it first: theirs is the one
        return install_secret(home)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value.hex() + "\n")
    return value


def flag_for(secret: bytes, challenge_id: str) -> str:
    """The flag of one challenge on the installation whose secret this is."""
    digest = hmac.new(secret, f"apilab-lab-flag:{challenge_id}".encode(), hashlib.sha256)
    return f"{FLAG_PREFIX}{digest.hexdigest()[:32]}}}"


def is_flag(secret: bytes, challenge_id: str, candidate: str) -> bool:
    """True when `candidate` (surrounding spaces forgiven) is this challenge's flag here."""
    return hmac.compare_digest(flag_for(secret, challenge_id).encode(),
                               candidate.strip().encode("utf-8", "replace"))
