"""Getting a certificate, for the command line and the terminal app alike: from the hub (which
signs it once every exercise is approved) or from this machine's runs (a course taken alone,
unsigned); then saved as its signed .json and its printable .html.

    text = from_hub(login)                         # NotYet(missing) until all are approved
    text = alone(course, store, "Ada Lovelace")    # NotYet(missing) until all are passed
    saved = save(text, Path("."))                  # saved.certificate, saved.json, saved.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from apilab.catalog.models import Course
from apilab.certificate.alone import certificate_alone, missing_alone
from apilab.settings import HubLogin
from apilab.store import Store
from hub.protocol import Certificate, SignedCertificate


class NotYet(Exception):
    """The course is not finished: `missing` are the exercises still to earn, in course order;
    `by_hub` when it is the hub's mentors who have still to approve them."""

    def __init__(self, missing: list[str], by_hub: bool) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing
        self.by_hub = by_hub

    def advice(self) -> str:
        listed = ", ".join(self.missing) or "some exercises"
        if self.by_hub:
            return (f"Not yet: your mentor has still to approve {listed}. Submit them with "
                    "apilab submit EXERCISE.")
        return (f"Not yet: the grader has still to pass {listed}. Run apilab check EXERCISE "
                "on each.")


class NameNeeded(ValueError):
    """A certificate for a course taken alone needs the name to put on it."""


def from_hub(login: HubLogin) -> str:
    """The signed certificate the hub issues now (JSON, as issued). NotYet, or HubError when
    the hub cannot be asked."""
    from apilab.hubclient import HubClient, HubConflict

    with HubClient(login.url, login.token) as client:
        try:
            return client.issue_certificate()
        except HubConflict as exc:
            raise NotYet([str(slug) for slug in exc.problem.get("missing", [])],
                         by_hub=True) from None


def missing_alone_in(course: Course, store: Store) -> list[str]:
    """The exercises this machine's grader has not passed yet, in course order."""
    return missing_alone(course, store.best_runs())


def alone(course: Course, store: Store, name: str) -> str:
    """The unsigned certificate of a course taken alone, made from `store` (JSON). NotYet
    while an exercise is not passed; NameNeeded for an empty name."""
    best = store.best_runs()
    missing = missing_alone(course, best)
    if missing:
        raise NotYet(missing, by_hub=False)
    if not name.strip():
        raise NameNeeded("say the name to put on the certificate")
    document = certificate_alone(course, name, best, store.flag_captures())
    return json.dumps(document, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class Saved:
    certificate: Certificate
    signed: bool
    json: Path
    html: Path


def save(text: str, out_dir: Path) -> Saved:
    """Write the certificate `text` (JSON, kept byte for byte: it is what verifies) and its
    printable page into `out_dir`. OSError when the folder cannot take them."""
    from apilab.views.certificate import certificate_as_html

    signed = SignedCertificate.model_validate_json(text)
    stem = out_dir / f"certificate-{signed.certificate.id}"
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = stem.with_suffix(".json"), stem.with_suffix(".html")
    json_path.write_text(text, encoding="utf-8")
    html_path.write_text(certificate_as_html(signed.certificate), encoding="utf-8")
    return Saved(signed.certificate, signed.signature is not None, json_path, html_path)
