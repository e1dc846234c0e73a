"""Certificates on the hub: issued only when every exercise of the course is approved, signed
with the hub's Ed25519 key, served as issued to anyone with the id, and refused by
verification when any field is changed."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

import httpx
import pytest

from apilab.certificate import signing
from hub.settings import HubSettings
from hub.store import HubStore
from tests.hub_cohort import Cohort, cohort_on

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def issued(cohort: Cohort) -> httpx.Response:
    return await cohort.http.post("/v1/certificates", headers=cohort.auth("ada"))


async def test_a_certificate_needs_every_exercise_approved(cohort: Cohort):
    hello = await cohort.submit("ada", "hello-api", (True, True))
    whoami = await cohort.submit("ada", "whoami", (True, True))
    refused = await issued(cohort)
    assert refused.status_code == 409
    assert refused.json()["missing"] == ["hello-api", "whoami"]
    await cohort.review(hello)
    await cohort.review(whoami, "changes_requested", body="Read the name from the token.")
    assert (await issued(cohort)).json()["missing"] == ["whoami"]
    await cohort.review(whoami, score_override=1, reason="hard-coded the name")
    answer = await issued(cohort)
    assert answer.status_code == 201, answer.text
    document = answer.json()
    lessons = document["certificate"]["lessons"]
    assert [lesson["slug"] for lesson in lessons] == ["http-basics", "auth-basics"]
    whoami_row = lessons[1]["exercises"][0]
    assert (whoami_row["slug"], whoami_row["score"], whoami_row["max_score"],
            whoami_row["verdict"], whoami_row["run_id"]) == ("whoami", 1, 2, "approved", whoami)
    assert document["certificate"]["learner"] == "ada"
    assert document["certificate"]["issuer"]["kind"] == "hub"


async def test_the_certificate_lists_the_learners_captured_flags_oldest_first(cohort: Cohort):
    await cohort.capture("ada", "bola", "API1", "2026-11-30T10:00:00+00:00")
    await cohort.capture("bob", "mass-assignment", "API3", "2026-11-28T10:00:00+00:00")
    document = await approved_course(cohort)  # ada also captures ssrf, the day before bola
    assert document["certificate"]["flags"] == [
        {"lesson": "security lab", "name": "API7 ssrf", "captured_at": "2026-11-29T09:00:00+00:00"},
        {"lesson": "security lab", "name": "API1 bola", "captured_at": "2026-11-30T10:00:00+00:00"},
    ]  # the fixture course has no lesson running the lab, so the lab names itself


async def test_the_issuer_is_the_hubs_public_url_when_set(tmp_path: Path):
    async with cohort_on(tmp_path, public_url="https://example.org/hub/") as behind_a_proxy:
        document = await approved_course(behind_a_proxy)
    assert document["certificate"]["issuer"]["name"] == "https://example.org/hub"


async def test_without_a_public_url_the_issuer_is_the_address_asked(cohort: Cohort):
    document = await approved_course(cohort)
    assert document["certificate"]["issuer"]["name"] == "http://hub"


@pytest.mark.parametrize("url", ["hub.example.org", "ftp://hub.example.org", "https://",
                                 "https://hub.example.org/?x=1"])
async def test_a_public_url_that_is_no_web_address_is_refused(url: str):
    with pytest.raises(ValueError, match="public URL"):
        HubSettings(db_path=":memory:", public_url=url)


async def test_only_learners_ask_for_their_certificate(cohort: Cohort):
    answer = await cohort.http.post("/v1/certificates", headers=cohort.auth("mia"))
    assert answer.status_code == 403


async def approved_course(cohort: Cohort) -> dict:
    await cohort.capture("ada", "ssrf", "API7", "2026-11-29T09:00:00+00:00")
    for exercise in ("hello-api", "whoami"):
        await cohort.review(await cohort.submit("ada", exercise, (True, True, True)))
    answer = await issued(cohort)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_anyone_fetches_the_certificate_and_key_and_it_verifies(cohort: Cohort):
    document = await approved_course(cohort)
    certificate_id = document["certificate"]["id"]
    public = await cohort.http.get(f"/v1/certificates/{certificate_id}")  # no token
    assert public.status_code == 200
    assert public.json() == document
    key = (await cohort.http.get("/v1/certificates/key")).json()
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519"
    signing.verify(document, key)
    missing = await cohort.http.get(f"/v1/certificates/{uuid.uuid4()}")
    assert missing.status_code == 404


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda c: c["lessons"][0]["exercises"][0].update(score=99), id="score"),
    pytest.param(lambda c: c.update(learner="eve"), id="name"),
    pytest.param(lambda c: c.update(issued_at="2020-01-01T00:00:00+00:00"), id="issue-date"),
    pytest.param(lambda c: c["lessons"][1]["exercises"][0].update(
        completed_at="2020-01-01T00:00:00+00:00"), id="exercise-date"),
    pytest.param(lambda c: c["lessons"].pop(), id="lesson-removed"),
    pytest.param(lambda c: c.update(extra="added"), id="field-added"),
    pytest.param(lambda c: c["flags"][0].update(name="API1 bola"), id="flag"),
    pytest.param(lambda c: c["flags"].append({**c["flags"][0], "name": "API2 alg-none"}),
                 id="flag-added"),
])
async def test_any_change_fails_verification(cohort: Cohort, tamper):
    document = await approved_course(cohort)
    key = (await cohort.http.get("/v1/certificates/key")).json()
    changed = copy.deepcopy(document)
    tamper(changed["certificate"])
    with pytest.raises(signing.SignatureError, match="changed after it was signed"):
        signing.verify(changed, key)


async def test_another_key_does_not_verify(cohort: Cohort):
    document = await approved_course(cohort)
    other = signing.public_jwk(signing.new_private_key())
    with pytest.raises(signing.SignatureError, match="names the key"):
        signing.verify(document, other)
    forged = {**document, "signature": {**document["signature"], "key_id": other["kid"]}}
    with pytest.raises(signing.SignatureError, match="changed after it was signed"):
        signing.verify(forged, other)


async def test_the_key_survives_a_restart(tmp_path: Path):
    store = HubStore(tmp_path / "hub.db")
    key = store.signing_key()
    store.close()
    again = HubStore(tmp_path / "hub.db")
    assert again.signing_key() == key
    again.close()


async def test_the_open_routes_are_rate_limited_per_address(tmp_path: Path):
    from hub.app import create_hub_app

    app = create_hub_app(HubSettings(db_path=tmp_path / "hub.db", rate_limit=2))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub") as http:
        answers = [await http.get("/v1/certificates/key") for _ in range(3)]
    app.state.store.close()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"]
