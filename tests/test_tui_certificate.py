"""The learner's certificate in the terminal app: c on the course map says what is missing, or
makes it (alone, under the name typed; with a hub, signed by it), shows its text and where its
.json and .html were written. Names and hub answers stay plain text."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from apilab.hubclient import HubClient
from apilab.settings import HubLogin, save_hub
from apilab.store import Store
from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.store import HubStore
from tests.helpers import FIXTURE_COURSE, make_report, settle, wait_for
from tui.app import ApilabApp
from tui.screens.certificate import CertificateScreen


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    monkeypatch.setenv("APILAB_WORKSPACE", str(folder))
    return folder


def shown(screen: CertificateScreen, widget: str) -> str:
    return str(screen.query_one(widget, Static).render())


async def open_certificate(app: ApilabApp, pilot) -> CertificateScreen:
    await pilot.pause()
    await pilot.press("c")
    await settle(pilot)
    assert isinstance(app.screen, CertificateScreen)
    return app.screen


async def test_before_the_course_is_done_it_says_what_is_missing(fixture_course, store: Store,
                                                                 workspace: Path):
    store.record_run(make_report("hello-api", passed=(True, True, True)))
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_certificate(app, pilot)
        assert "the grader has still to pass whoami" in shown(screen, "#certificate-status")
        assert not screen.query_one("#certificate-name", Input).display
        await pilot.press("g")
        await settle(pilot)
        assert "the grader has still to pass whoami" in shown(screen, "#certificate-status")
        assert list(workspace.iterdir()) == []
        await pilot.press("escape")
        assert not isinstance(app.screen, CertificateScreen)


async def test_a_course_taken_alone_gets_its_certificate_under_the_name_typed(
        fixture_course, store: Store, workspace: Path):
    for exercise in ("hello-api", "whoami"):
        store.record_run(make_report(exercise, passed=(True, True)))
    store.record_flag("bola", "API1")
    name = "[bold]Ada[/bold] \x1b]0;OWNED\x07Lovelace"
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "Press c for your certificate" in shown(app.screen, "#how-to")
        screen = await open_certificate(app, pilot)
        assert "Every exercise passed" in shown(screen, "#certificate-status")
        field = screen.query_one("#certificate-name", Input)
        assert field.display and field.has_focus
        await pilot.press("enter")  # no name yet
        await settle(pilot)
        assert "Type the name" in shown(screen, "#certificate-status")
        field.value = name
        await pilot.press("enter")
        await settle(pilot)
        text = shown(screen, "#certificate-text")
        assert "awarded to [bold]Ada[/bold]" in text and "\x1b" not in text  # literal, inert
        assert "API1 bola" in text and "Course taken alone" in text
        [saved] = workspace.glob("certificate-*.json")
        assert str(saved) in shown(screen, "#certificate-status")
        assert saved.with_suffix(".html").exists()
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["signature"] is None and document["certificate"]["learner"] == name
    assert [flag["name"] for flag in document["certificate"]["flags"]] == ["API1 bola"]


@pytest.mark.slow
async def test_with_a_hub_the_hub_issues_it_once_every_exercise_is_approved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture_course, store: Store,
        workspace: Path):
    monkeypatch.setenv("APILAB_COURSE", str(FIXTURE_COURSE))  # the hub's course
    db = tmp_path / "hub.db"
    tokens = {"ada": new_token(), "mia": new_token()}
    hub = HubStore(db)
    hub.add_user("ada", "learner", hash_token(tokens["ada"]))
    hub.add_user("mia", "mentor", hash_token(tokens["mia"]))
    hub.close()
    with hub_process(db) as url:
        submitted = {}
        with HubClient(url, tokens["ada"]) as ada:
            for exercise in ("hello-api", "whoami"):
                submitted[exercise] = str(uuid.uuid4())
                ada.put_submission(submitted[exercise],
                                   make_report(exercise, passed=(True, True)).to_json(), "submit")
        with HubClient(url, tokens["mia"]) as mia:
            mia.review(submitted["hello-api"], "approved")
        save_hub(HubLogin(url=url, token=tokens["ada"], name="ada", role="learner"))
        app = ApilabApp(fixture_course, store)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_certificate(app, pilot)
            assert "Press g to ask for it" in shown(screen, "#certificate-status")
            assert not screen.query_one("#certificate-name", Input).display
            await pilot.press("g")
            await wait_for(pilot, lambda: "Not yet" in shown(screen, "#certificate-status"))
            assert "your mentor has still to approve whoami" in shown(screen,
                                                                      "#certificate-status")
            with HubClient(url, tokens["mia"]) as mia:
                mia.review(submitted["whoami"], "approved")
            await pilot.press("g")
            await wait_for(pilot, lambda: "Saved" in shown(screen, "#certificate-status"))
            assert "awarded to ada" in shown(screen, "#certificate-text")
            assert f"Issued by the hub at {url}" in shown(screen, "#certificate-text")
        [saved] = workspace.glob("certificate-*.json")
        assert json.loads(saved.read_text(encoding="utf-8"))["signature"]["alg"] == "Ed25519"
