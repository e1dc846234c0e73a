"""Checking a certificate: offline, against a public key the verifier already holds; online,
against the hub that issued it (its published key, and its own copy of the certificate).

    document = read_certificate(Path("certificate.json"))
    verify_with_key(document, jwk)          # SignatureError if it does not hold
    verify_with_hub(document, client)       # also SignatureError, or HubError (unreachable)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from apilab.certificate.signing import SignatureError, canonical, verify
from apilab.hubclient import HubClient, HubNotFound
from hub.protocol import SignedCertificate, unreadable_because


class CertificateFileError(Exception):
    """The file is not a certificate apilab can read; the message says why."""


def read_certificate(path: Path) -> tuple[dict[str, Any], SignedCertificate]:
    """The certificate in `path`: as the JSON value that is verified, and as a model to show."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CertificateFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CertificateFileError(f"{path} is not JSON ({exc}); give the certificate's .json "
                                   "file, not its .html page") from None
    try:
        return document, SignedCertificate.model_validate(document)
    except ValidationError as exc:
        raise CertificateFileError(f"{path} is not an apilab certificate "
                                   f"({unreadable_because(exc)})") from None


def read_key(path: Path) -> dict[str, Any]:
    """A public key file: the JWK a hub publishes at /v1/certificates/key."""
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CertificateFileError(f"cannot read the key {path} ({exc}); save the hub's "
                                   "/v1/certificates/key answer to a file") from None
    if not isinstance(key, dict):
        raise CertificateFileError(f"{path} is not a JSON Web Key")
    return key


def verify_with_key(document: dict[str, Any], key: dict[str, Any]) -> None:
    """SignatureError unless `key` signed exactly this certificate."""
    verify(document, key)


def verify_with_hub(document: dict[str, Any], client: HubClient) -> None:
    """SignatureError unless the hub's key signed this certificate and the hub holds the same
    one under its id. HubError when the hub cannot be asked."""
    verify(document, client.signing_key().model_dump())
    certificate_id = str((document.get("certificate") or {}).get("id", ""))
    try:
        issued = json.loads(client.certificate(certificate_id))
    except HubNotFound:
        raise SignatureError(f"the hub at {client.base_url} issued no certificate "
                             f"{certificate_id}") from None
    if canonical(issued) != canonical(document):
        raise SignatureError(f"the hub at {client.base_url} holds another version of "
                             f"certificate {certificate_id}")
