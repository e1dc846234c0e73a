"""Ed25519 signatures over certificates, through `cryptography`; never hand-written.

What is signed is the certificate's *canonical* bytes: its JSON with keys sorted, no spaces
and UTF-8 text (RFC 8785's rules for what certificates hold: strings, integers, lists, null).
Verification recomputes them from the document it is given, so any field changed, added or
removed, in any order of keys or layout of the file, fails.

The hub's public key is published as a JSON Web Key (RFC 8037, `OKP`/`Ed25519`), and its id
is derived from the key itself, so a key id can never name two keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG = "Ed25519"


class SignatureError(Exception):
    """The certificate does not verify; the message says what does not hold."""


def canonical(value: Any) -> bytes:
    """The bytes that are signed: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def new_private_key() -> bytes:
    """A fresh signing key, as its 32 raw bytes (what the hub keeps)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())


def public_jwk(private_key: bytes) -> dict[str, str]:
    """The public half of `private_key` as a JWK, with its key id."""
    public = Ed25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": ALG, "x": _b64(public), "kid": key_id(public), "use": "sig"}


def key_id(public: bytes) -> str:
    return "ed25519-" + hashlib.sha256(public).hexdigest()[:16]


def sign(private_key: bytes, certificate: dict[str, Any]) -> dict[str, str]:
    """The signature member of a signed certificate."""
    key = Ed25519PrivateKey.from_private_bytes(private_key)
    return {"alg": ALG, "key_id": public_jwk(private_key)["kid"],
            "value": _b64(key.sign(canonical(certificate)))}


def verify(signed: dict[str, Any], jwk: dict[str, Any]) -> None:
    """Return if `signed` (`{"certificate": ..., "signature": ...}`) was signed by the key
    `jwk`; SignatureError saying why not otherwise."""
    signature = signed.get("signature")
    if not isinstance(signature, dict):
        raise SignatureError("it is not signed: a certificate for a course taken alone, which "
                             "no hub vouches for")
    if signature.get("alg") != ALG:
        raise SignatureError(f"it is signed with {signature.get('alg')!r}; only {ALG} is "
                             "accepted")
    public = _public_key(jwk)
    if signature.get("key_id") != jwk.get("kid"):
        raise SignatureError(f"it names the key {signature.get('key_id')!r}, not the key given "
                             f"({jwk.get('kid')!r}); was it issued by another hub?")
    try:
        public.verify(_unb64(str(signature.get("value", ""))), canonical(signed.get("certificate")))
    except (InvalidSignature, ValueError):
        raise SignatureError("the signature does not match the content: the certificate was "
                             "changed after it was signed, or signed by another key") from None


def _public_key(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != ALG or not isinstance(jwk.get("x"), str):
        raise SignatureError("the key given is not an Ed25519 public key (a JWK with "
                             "kty OKP, crv Ed25519 and x), as the hub publishes at "
                             "/v1/certificates/key")
    try:
        raw = _unb64(jwk["x"])
        if key_id(raw) != jwk.get("kid"):
            raise SignatureError("the key's id does not belong to the key")
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise SignatureError("the key given is not a valid Ed25519 public key") from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
