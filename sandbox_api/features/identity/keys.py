"""The identity provider's signing keys: one signs, every key that may still vouch for a token is
published in the JWKS (RFC 7517).

Rotation makes a new key the signing key at once, and keeps publishing the old one until every
token it signed has expired: a resource server that meets a token with an unknown `kid` fetches
the JWKS again and finds the new key, while tokens signed a moment before the rotation still
verify. Keys are RSA 2048 (RS256), the algorithm every JOSE library supports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet, RSAKey

ALGORITHM = "RS256"


@dataclass
class _Published:
    key: RSAKey
    retired_at: float | None = None  # when it stopped signing; None while it is the signing key


class KeyRing:
    """The signing key and the published keys. Safe to use from several threads."""

    def __init__(self, keep_retired_for: float, clock: Callable[[], float] = time.time) -> None:
        """`keep_retired_for`: seconds a retired key stays published, at least the longest
        lifetime of a token it may have signed."""
        self._keep_for, self._clock = keep_retired_for, clock
        self._lock = threading.Lock()
        # The first key is made when something first needs it: making an RSA key takes 50 to
        # 300 ms, and most sandboxes (a lesson's notebook, every test's) never issue a token.
        self._keys: list[_Published] = []

    @property
    def signing_key(self) -> RSAKey:
        with self._lock:
            return self._current().key

    def published(self, kid: str) -> RSAKey | None:
        """The published key named `kid` (private half included), or None."""
        return next((key for key in self.verifying_set() if key.kid == kid), None)

    def signing_set(self) -> KeySet:
        """A key set holding only the signing key, so that a JWT signed with it names its kid."""
        return KeySet([self.signing_key])

    def verifying_set(self) -> KeySet:
        """Every published key: what a resource server may verify with."""
        with self._lock:
            self._forget_expired()
            self._current()
            return KeySet([published.key for published in self._keys])

    def rotate(self) -> RSAKey:
        """Make a new key the signing key; the old one stays published until its tokens expire."""
        key = _new_key()
        with self._lock:
            self._forget_expired()
            if self._keys:
                self._keys[-1].retired_at = self._clock()
            self._keys.append(_Published(key))
        return key

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document: each key with its kid, use and alg, no private parts."""
        keys = []
        for key in self.verifying_set():
            public = key.as_dict(private=False)
            keys.append({**public, "use": "sig", "alg": ALGORITHM})
        return {"keys": keys}

    def kids(self) -> list[str]:
        return [key.kid for key in self.verifying_set()]

    def _current(self) -> _Published:
        """The signing key, made now if there is none yet. Called with the lock held."""
        if not self._keys:
            self._keys.append(_Published(_new_key()))
        return self._keys[-1]

    def _forget_expired(self) -> None:
        now = self._clock()
        self._keys = [p for p in self._keys
                      if p.retired_at is None or now - p.retired_at < self._keep_for]


def _new_key() -> RSAKey:
    # auto_kid: the kid is the key's RFC 7638 thumbprint, so it names the key and nothing else
    return RSAKey.generate_key(2048, auto_kid=True)
