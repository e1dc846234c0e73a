"""The lab shop's tokens: JWTs written by hand, the way too many shops write them (API2:2023).

Two mistakes on purpose: the algorithm is taken from the token's own header, so `"alg": "none"`
with no signature is believed (RFC 8725 §3.1 says to pin it), and the HS256 key is a word from
any password list. Lesson 2's identity provider does all of this right; compare the two.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

WEAK_KEY = b"bookshop"  # from every wordlist: a stolen token can be cracked offline in seconds
LIFETIME = 3600


@dataclass(frozen=True)
class Claims:
    user_id: int
    role: str
    algorithm: str  # as the token's header said: "none" means nobody signed it


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(user_id: int, role: str) -> str:
    """An HS256 token for this user, valid for an hour."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"sub": str(user_id), "role": role,
                               "exp": int(time.time()) + LIFETIME}).encode())
    signature = hmac.new(WEAK_KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def read(token: str) -> Claims | None:
    """The token's claims, or None when it is not one this shop believes. The shop believes
    too much: see the module's docstring."""
    try:
        header_part, payload_part, signature_part = token.split(".")
        header: dict[str, Any] = json.loads(_unb64(header_part))
        payload: dict[str, Any] = json.loads(_unb64(payload_part))
        algorithm = str(header.get("alg", ""))
        if algorithm.lower() == "none":
            pass  # the mistake: "none" means "no signature to check", so none is checked
        elif algorithm == "HS256":
            expected = hmac.new(WEAK_KEY, f"{header_part}.{payload_part}".encode(),
                                hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature_part)):
                return None
        else:
            return None
        if float(payload.get("exp", 0)) < time.time():
            return None
        return Claims(int(payload["sub"]), str(payload.get("role", "customer")), algorithm)
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, binascii.Error,
            UnicodeDecodeError):
        return None
