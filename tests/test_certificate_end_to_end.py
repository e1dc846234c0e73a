"""A small cohort end to end, on a real hub process: learners submit, a mentor approves, the
gradebook is exported and read back with the csv module, a certificate is issued, verified
online and offline, tampered with and refused. And a course taken alone: an unsigned
certificate that says so."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from apilab.cli import main
from apilab.hubclient import HubClient
from apilab.ports import free_port
from apilab.settings import HubLogin, save_hub
from apilab.store import Store
from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.store import HubStore
from tests.helpers import FIXTURE_COURSE, make_report

pytestmark = pytest.mark.slow


@pytest.fixture
def course(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("APILAB_COURSE", str(FIXTURE_COURSE))  # the hub's child process too
    return FIXTURE_COURSE


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def only(folder: Path, suffix: str) -> Path:
    [found] = folder.glob(f"certificate-*{suffix}")
    return found


def test_a_cohort_from_submission_to_verified_certificate(tmp_path: Path, course: Path):
    db = tmp_path / "hub.db"
    store = HubStore(db)
    tokens = {name: new_token() for name in ("ada", "bob", "mia")}
    for name, role in (("ada", "learner"), ("bob", "learner"), ("mia", "mentor")):
        store.add_user(name, role, hash_token(tokens[name]))  # type: ignore[arg-type]
    store.close()
    port = free_port()
    public = f"http://localhost:{port}"  # the address people use, not the one it listens on
    with hub_process(db, port=port, public_url=public) as url:
        submitted = {}
        for learner, exercises in (("ada", ("hello-api", "whoami")), ("bob", ("hello-api",))):
            with HubClient(url, tokens[learner]) as client:
                for number, exercise in enumerate(exercises):
                    run_id = f"00000000-0000-4000-8000-{len(submitted):012}"
                    report = make_report(exercise=exercise, passed=(True, True), seed=number)
                    assert client.put_submission(run_id, report.to_json(), "submit")
                    submitted[learner, exercise] = run_id
        with HubClient(url, tokens["ada"]) as client:  # the security lab's flag, captured
            assert client.put_capture("bola", "API1", "2026-11-30T09:00:00+00:00")
        with HubClient(url, tokens["mia"]) as mentor:
            for run_id in submitted.values():
                mentor.review(run_id, "approved")

        # the gradebook, exported and read back as a spreadsheet user's tools would
        book = tmp_path / "gradebook.csv"
        assert run("hub", "gradebook", "--db", str(db), "-o", str(book)).exit_code == 0
        with book.open(encoding="utf-8", newline="") as file:
            table = {row["learner"]: row for row in csv.DictReader(file)}
        assert set(table) == {"ada", "bob"}
        assert table["ada"]["whoami verdict"] == "approved" and table["bob"]["whoami score"] == ""
        over_http = httpx.get(f"{url}/v1/cohort/gradebook", trust_env=False,
                              headers={"Authorization": f"Bearer {tokens['mia']}"})
        assert over_http.content == book.read_bytes()  # the same file, CRLF and all

        # bob has not finished; ada has
        save_hub(HubLogin(url, tokens["bob"], "bob", "learner"))
        not_yet = run("certificate", "--out", str(tmp_path / "bob"))
        assert not_yet.exit_code == 1 and "whoami" in not_yet.output
        save_hub(HubLogin(url, tokens["ada"], "ada", "learner"))
        issued = run("certificate", "--out", str(tmp_path / "ada"))
        assert issued.exit_code == 0, issued.output
        assert "awarded to ada" in issued.output and "Fixture course" in issued.output
        document = only(tmp_path / "ada", ".json")
        assert "<!DOCTYPE html>" in only(tmp_path / "ada", ".html").read_text(encoding="utf-8")

        assert "API1 bola" in issued.output
        signed = json.loads(document.read_text(encoding="utf-8"))
        assert signed["certificate"]["issuer"]["name"] == public
        assert [flag["name"] for flag in signed["certificate"]["flags"]] == ["API1 bola"]

        online = run("certificate", "verify", str(document))
        assert online.exit_code == 0, online.output
        assert f"Verified online, by the hub at {public}" in online.output
        key = tmp_path / "hub-key.json"
        key.write_text(httpx.get(f"{url}/v1/certificates/key", trust_env=False).text)
        offline = run("certificate", "verify", str(document), "--key", str(key))
        assert offline.exit_code == 0 and "Verified offline" in offline.output

        for tamper in (lambda c: c["lessons"][0]["exercises"][0].update(score=3),
                       lambda c: c["flags"][0].update(name="API9 old-version")):
            forged_document = json.loads(document.read_text(encoding="utf-8"))
            tamper(forged_document["certificate"])
            forged = tmp_path / "forged.json"
            forged.write_text(json.dumps(forged_document), encoding="utf-8")
            for extra in ([], ["--key", str(key)]):
                refused = run("certificate", "verify", str(forged), *extra)
                assert refused.exit_code == 1, refused.output
                assert "NOT VERIFIED" in refused.output
                assert "changed after it was signed" in refused.output


def test_a_course_taken_alone_is_unsigned_and_says_so(tmp_path: Path, course: Path):
    not_yet = run("certificate", "--alone", "--name", "Ada Lovelace", "--out", str(tmp_path))
    assert not_yet.exit_code == 1 and "hello-api, whoami" in not_yet.output
    store = Store.open_default()
    for exercise in ("hello-api", "whoami"):
        store.record_run(make_report(exercise=exercise, passed=(True, False)))
        store.record_run(make_report(exercise=exercise, passed=(True, True)))
    store.record_flag("ssrf", "API7")
    store.close()
    issued = run("certificate", "--alone", "--name", "Ada Lovelace", "--out", str(tmp_path))
    assert issued.exit_code == 0, issued.output
    assert "Course taken alone" in issued.output and "not signed" in issued.output
    document = json.loads(only(tmp_path, ".json").read_text(encoding="utf-8"))
    assert document["signature"] is None
    assert document["certificate"]["issuer"] == {"kind": "self", "name": "self", "key_id": None}
    assert document["certificate"]["lessons"][0]["exercises"][0]["score"] == 2
    assert [flag["name"] for flag in document["certificate"]["flags"]] == ["API7 ssrf"]
    checked = run("certificate", "verify", str(only(tmp_path, ".json")))
    assert checked.exit_code == 1 and "not signed" in checked.output


def test_verify_says_what_it_cannot_read(tmp_path: Path):
    page = tmp_path / "certificate.html"
    page.write_text("<!DOCTYPE html>", encoding="utf-8")
    answer = run("certificate", "verify", str(page))
    assert answer.exit_code == 2 and "not JSON" in answer.output


def test_a_name_with_terminal_controls_stays_inert(tmp_path: Path, course: Path):
    store = Store.open_default()
    for exercise in ("hello-api", "whoami"):
        store.record_run(make_report(exercise=exercise, passed=(True, True)))
    store.close()
    name = "Zoë \x1b]0;OWNED\x07Ünal <script>"
    issued = run("certificate", "--alone", "--name", name, "--out", str(tmp_path))
    assert issued.exit_code == 0, issued.output
    page = only(tmp_path, ".html").read_text(encoding="utf-8")
    for shown in (issued.output, page):
        assert "\x1b" not in shown and "\x07" not in shown and "Zoë" in shown
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert json.loads(only(tmp_path, ".json").read_text(encoding="utf-8"))[
        "certificate"]["learner"] == name  # kept as given; only its display is cleaned
