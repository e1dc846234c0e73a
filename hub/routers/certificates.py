"""Certificates of completion, signed by the hub (Ed25519), checkable by anyone.

    GET  /v1/certificates/key    the hub's public key (a JWK), no token needed
    POST /v1/certificates        learners: issue mine, once every exercise is approved
    GET  /v1/certificates/{id}   anyone with the id: the signed certificate, as issued

A certificate's id is a random UUID, given by the learner to whoever should see it, as a
share link is: the third parties who check it hold no hub token. Those open routes spend the
client address's rate quota, as unauthenticated requests do.
"""

from __future__ import annotations

import json
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request, Response

from apilab.certificate import signing
from apilab.certificate.content import Result, certificate, hub_issuer, unfinished
from apilab.certificate.flags import certificate_flags
from httpkit.problems import ProblemException
from hub.auth import Anyone, LearnerUser
from hub.deps import CourseDep, SettingsDep, StoreDep
from hub.protocol import SignedCertificate, SigningKey
from hub.routers import problems
from hub.store import HubStore

router = APIRouter(prefix="/certificates", tags=["certificates"])


@router.get("/key", response_model=SigningKey, responses=problems(), dependencies=[Anyone])
def signing_key(store: StoreDep) -> SigningKey:
    """The public key that verifies this hub's certificates, as a JSON Web Key (RFC 8037).
    Keep a copy to verify certificates offline: `apilab certificate verify FILE --key KEY`."""
    return SigningKey.model_validate(signing.public_jwk(store.signing_key()))


@router.post("", response_model=SignedCertificate, status_code=201,
             responses=problems(403, 409))
def issue(learner: LearnerUser, store: StoreDep, course: CourseDep, settings: SettingsDep,
          request: Request) -> Response:
    """Issue a certificate to the learner whose token this is: every exercise of the course
    must have an approved submission (409 names those that have none). Each exercise shows
    its best approved submission: score (the mentor's override counting), verdict, date; and
    the security lab flags the learner captured."""
    results = approved_results(store, learner.id, [e.slug for e in course.ordered_exercises()])
    missing = unfinished(course, results)
    if missing:
        raise ProblemException(409, "a certificate needs an approved submission of every "
                               f"exercise; still missing: {', '.join(missing)}", missing=missing)
    key = store.signing_key()
    # Where a verifier will find this hub: its public address, else the one this request used.
    address = settings.public_url or str(request.base_url).rstrip("/")
    issuer = hub_issuer(address, signing.public_jwk(key)["kid"])
    flags = certificate_flags(course, store.captures(learner.id))
    content = certificate(course, learner.name, issuer, results, store.now(), flags)
    document = json.dumps({"certificate": content, "signature": signing.sign(key, content)},
                          ensure_ascii=False, indent=2)
    store.add_certificate(content["id"], learner, document, content["issued_at"])
    return Response(document, status_code=201, media_type="application/json",
                    headers={"Location": f"/v1/certificates/{content['id']}"})


@router.get("/{certificate_id}", response_model=SignedCertificate, responses=problems(404),
            dependencies=[Anyone])
def get_certificate(certificate_id: Annotated[UUID, Path(description="The certificate's id.")],
                    store: StoreDep) -> Response:
    """A certificate exactly as the hub issued it: compare it with the copy you were shown."""
    document = store.certificate(str(certificate_id))
    if document is None:
        raise ProblemException(404, f"this hub issued no certificate {certificate_id}")
    return Response(document, media_type="application/json")


def approved_results(store: HubStore, learner_id: int, exercises: list[str]) -> dict[str, Result]:
    """The learner's best approved submission of each exercise, as certificate results."""
    return {s.exercise: Result(run_id=s.id, score=s.effective_score, max_score=s.max_score,
                               verdict=s.verdict, completed_at=s.created_at)
            for s in store.best_submissions([learner_id], exercises, approved_only=True)}
