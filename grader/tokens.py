"""Tokens a resource server must refuse, made the way an attacker would, with the JOSE library.

Each forgery starts from a real access token, so its claims (issuer, audience, expiry) are all
valid and only the one defect it plants can make a server refuse it:

- `alg-none`: the same claims, unsigned (`alg: none`; RFC 8725 §3.1);
- `hmac-public-key`: signed HS256 with the issuer's RSA public key (PEM) as the HMAC secret,
  which fools a server that lets the token choose the algorithm (RFC 8725 §2.1);
- `tampered`: the payload changed after signing (more scope, another subject), signature kept;
- `unknown-key`: signed with a key the issuer never published, under a `kid` it never used;
- `embedded-key`: the same, with that key embedded in the header (`jwk`), which fools a server
  that trusts keys the token brings along (RFC 8725 §3.10, CVE-2018-0114).

Defects that need the issuer's key (expired, wrong audience...) come from the sandbox instead.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
import warnings
from collections.abc import Sequence
from typing import Any

from joserfc import jws, jwt
from joserfc.jwk import OctKey, RSAKey
from joserfc.util import urlsafe_b64encode

FORGERIES = ("alg-none", "hmac-public-key", "tampered", "unknown-key", "embedded-key")


def header_of(token: str) -> dict[str, Any]:
    """The JOSE header of a compact token, unverified (to read `kid` and `alg`)."""
    return dict(jws.extract_compact(token.encode()).protected)


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a compact token, unverified: anyone can read a JWT (it is signed, not
    encrypted), which is why the grader may."""
    return json.loads(jws.extract_compact(token.encode()).payload)


def alg_none(token: str) -> str:
    header = {**header_of(token), "alg": "none"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc rightly warns that `none` is insecure
        return jws.serialize_compact(header, json.dumps(claims_of(token)), None,
                                     algorithms=["none"])


def hmac_with_public_key(token: str, public_jwk: dict[str, Any]) -> str:
    """HS256 over the token's claims, keyed with the PEM of the key that signed it."""
    pem = RSAKey.import_key(public_jwk).as_pem(private=False)
    # joserfc refuses to import a PEM as an HMAC key (the very confusion attacked here), so the
    # key object is built directly from the bytes.
    secret = OctKey(pem, pem)
    header = {**header_of(token), "alg": "HS256"}
    return jwt.encode(header, claims_of(token), secret, algorithms=["HS256"])


def tampered(token: str, **changes: Any) -> str:
    """The token with its payload changed and the original signature kept."""
    protected, _payload, signature = token.split(".")
    payload = urlsafe_b64encode(json.dumps({**claims_of(token), **changes}).encode()).decode()
    return f"{protected}.{payload}.{signature}"


@functools.cache
def stranger_key() -> RSAKey:
    """A key the issuer never published: made once per process, as making one takes a while."""
    return RSAKey.generate_key(2048, auto_kid=True)


def signed_with_unknown_key(token: str, embed: bool = False) -> str:
    """The token's claims, freshly dated, signed with a stranger's key (embedded in the header
    too)."""
    key = stranger_key()
    header = {"alg": "RS256", "typ": header_of(token).get("typ", "at+jwt"), "kid": key.kid}
    if embed:
        header["jwk"] = key.as_dict(private=False)
    now = int(time.time())
    return jwt.encode(header, {**claims_of(token), "iat": now, "exp": now + 600}, key,
                      algorithms=["RS256"])


def forge(kind: str, token: str, *, public_jwk: dict[str, Any] | None = None,
          changes: dict[str, Any] | None = None) -> str:
    """The forgery `kind` (one of FORGERIES) made from the real `token`; `changes` are the
    claims a `tampered` forgery rewrites."""
    if kind == "alg-none":
        return alg_none(token)
    if kind == "hmac-public-key":
        if public_jwk is None:
            raise ValueError("hmac-public-key needs the issuer's public key")
        return hmac_with_public_key(token, public_jwk)
    if kind == "tampered":
        if not changes:
            raise ValueError("a tampered token needs the claims to change")
        return tampered(token, **changes)
    if kind in ("unknown-key", "embedded-key"):
        return signed_with_unknown_key(token, embed=kind == "embedded-key")
    raise ValueError(f"unknown forgery {kind!r}; known: {', '.join(FORGERIES)}")


def guessed_secret(token: str, guesses: Sequence[str]) -> str | None:
    """The first of `guesses` that verifies the HMAC signature of `token` (HS256, HS384 or HS512),
    or None: what an attacker holding one token does offline (RFC 8725 §3.5)."""
    protected, payload, signature = token.split(".")
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}.get(
        str(header_of(token).get("alg", "")).upper())
    if digest is None:
        return None
    signed = f"{protected}.{payload}".encode()
    for guess in guesses:
        mac = urlsafe_b64encode(hmac.new(guess.encode(), signed, digest).digest()).decode().rstrip("=")
        if hmac.compare_digest(mac, signature):
            return guess
    return None
