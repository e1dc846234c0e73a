"""Submissions reach a real hub exactly once, whatever the hub does; feedback comes back down.

A real hub runs in a child process on a loopback port (started, stopped and restarted on the same
port to play "down, then up"); the learner's side is the real CLI with its own APILAB_HOME.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from apilab.cli import main
from apilab.hubclient import HubClient
from apilab.ports import free_port
from apilab.settings import HubLogin, load_hub, save_hub
from apilab.store import Store
from apilab.sync import sync
from hub.process import hub_process
from tests.helpers import FIXTURE_COURSE, make_report

LEARNER, MENTOR = "apilab_" + "a" * 43, "apilab_" + "g" * 43  # the shape of real tokens
USERS = {"ada": ("learner", LEARNER), "grace": ("mentor", MENTOR)}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("APILAB_COURSE", str(FIXTURE_COURSE))
    return tmp_path / "home"


@pytest.fixture
def hub_at(tmp_path):
    """A port for the hub and a way to start it there (again and again, on the same database)."""
    port, db = free_port(), tmp_path / "hub.db"

    def start():
        return hub_process(db, port=port, users=USERS)

    return f"http://127.0.0.1:{port}", start


def submissions_on(url: str) -> list[str]:
    with HubClient(url, MENTOR) as mentor:
        return sorted(item.id for item in mentor.submissions())


def test_the_outbox_survives_a_hub_that_is_down_and_is_delivered_once(home, hub_at):
    url, start = hub_at
    hub = HubLogin(url=url, token=LEARNER)
    save_hub(hub)
    with Store.open_default() as store:
        ids = [store.record_run(make_report(seed=n), "submit", send_to_hub=True) for n in range(3)]
        down = sync(store, hub)
    assert down.sent == 0 and down.waiting == 3
    assert "unreachable" in down.problem and "will be sent with your next apilab check" in down.problem

    with start():
        # The next everyday command sends what waited.
        result = CliRunner().invoke(main, ["lessons"], catch_exceptions=False)
        assert "Sent 3 submissions to the hub." in result.output
        assert submissions_on(url) == sorted(ids)

        # A crash after the hub stored one but before the outbox knew: the resend is harmless.
        with Store.open_default() as store:
            again = store.record_run(make_report(seed=9), "submit", send_to_hub=True)
            with HubClient(url, LEARNER) as learner:
                assert learner.put_submission(again, store.outbox()[0].report_json, "submit")
            assert sync(store, hub).sent == 1 and store.outbox_count() == 0
        assert submissions_on(url) == sorted([*ids, again])


def test_feedback_and_reviews_come_down_once_each(home, hub_at):
    url, start = hub_at
    hub = HubLogin(url=url, token=LEARNER)
    with start(), Store.open_default() as store:
        run_id = store.record_run(make_report(), "submit", send_to_hub=True)
        assert sync(store, hub).sent == 1
        with HubClient(url, MENTOR) as mentor:
            mentor.add_feedback(run_id, "Look at **check 2**.", check_id="check-2")
            mentor.review(run_id, "approved", score_override=3, reason="check 2 was our bug")

        first = sync(store, hub)
        assert first.new_feedback == 2 and sync(store, hub).new_feedback == 0
        notes = {item.kind: item for item in store.feedback()}
        assert notes["note"].check_id == "check-2" and notes["note"].author == "grace"
        assert notes["review"].verdict == "approved" and notes["review"].reason == "check 2 was our bug"
        assert store.unread_count() == 2
        progress = store.progress()["hello-api"]
        assert progress.verdict == "approved" and progress.score_override == 3


def test_feedback_on_a_submission_made_elsewhere_brings_its_report(home, hub_at):
    url, start = hub_at
    with start(), Store.open_default() as store:
        elsewhere = "5b0c1a0e-3f7e-4f57-9d7c-0c2f5a1e9b11"
        with HubClient(url, LEARNER) as learner:
            learner.put_submission(elsewhere, make_report(seed=5).to_json(), "submit")
        with HubClient(url, MENTOR) as mentor:
            mentor.add_feedback(elsewhere, "Nice work on the other laptop.")
        assert sync(store, HubLogin(url=url, token=LEARNER)).new_feedback == 1
        assert store.report(elsewhere).seed == 5


def test_login_checks_the_token_and_submit_sends(home, hub_at, hello_solution_url):
    url, start = hub_at
    runner = CliRunner()
    with start():
        refused = runner.invoke(main, ["login", url, "--token", "not-a-token"])
        assert refused.exit_code == 1 and "refused this token" in refused.output
        assert load_hub() is None

        joined = runner.invoke(main, ["login", url, "--token", LEARNER])
        assert joined.exit_code == 0 and "as ada (learner)" in joined.output
        assert load_hub().name == "ada"

        submitted = runner.invoke(main, ["submit", "hello-api", "--url", hello_solution_url])
        assert submitted.exit_code == 0, submitted.output
        assert "Sent 1 submission to the hub." in submitted.output
        assert len(submissions_on(url)) == 1


def test_submissions_made_before_login_are_offered_after_it(home, hub_at, hello_solution_url):
    url, start = hub_at
    runner = CliRunner()
    for _ in range(2):
        alone = runner.invoke(main, ["submit", "hello-api", "--url", hello_solution_url])
        assert "To send submissions to your mentors, join a hub" in alone.output
    with start():
        kept = runner.invoke(main, ["login", url, "--token", LEARNER], input="n\n")
        assert kept.exit_code == 0, kept.output
        assert "2 submissions made before you logged in (hello-api) were never sent." in kept.output
        assert "apilab sync sends them" in kept.output and submissions_on(url) == []

        synced = runner.invoke(main, ["sync"])
        assert synced.exit_code == 0 and "Sent 2 submissions to the hub." in synced.output
        assert len(submissions_on(url)) == 2
        again = runner.invoke(main, ["login", url, "--token", LEARNER])
        assert "never sent" not in again.output  # nothing left to offer


def test_a_submission_made_before_login_is_sent_when_the_learner_says_yes(
        home, hub_at, hello_solution_url):
    url, start = hub_at
    runner = CliRunner()
    runner.invoke(main, ["submit", "hello-api", "--url", hello_solution_url])
    with start():
        joined = runner.invoke(main, ["login", url, "--token", LEARNER], input="y\n")
        assert "1 submission made before you logged in (hello-api) was never sent." in joined.output
        assert "Sent 1 submission to the hub." in joined.output
        assert len(submissions_on(url)) == 1


def test_a_refused_token_is_the_first_thing_sync_says(home, hub_at):
    url, start = hub_at
    save_hub(HubLogin(url=url, token="apilab_" + "r" * 43))  # revoked, or never issued
    runner = CliRunner()
    with start():
        result = runner.invoke(main, ["sync"])  # nothing to send: only fetching is refused
        assert result.exit_code == 1
        first_line = result.output.splitlines()[0]
        assert first_line.startswith("The hub refused your token") and "apilab login" in first_line
        assert "Up to date" not in result.output
        with Store.open_default() as store:
            store.record_run(make_report(), "submit", send_to_hub=True)
        waiting = runner.invoke(main, ["sync"]).output
    assert waiting.startswith("The hub refused your token") and "1 waiting to be sent." in waiting


def test_submit_while_the_hub_is_down_keeps_the_submission(home, hub_at, hello_solution_url):
    url, _start = hub_at
    save_hub(HubLogin(url=url, token=LEARNER))
    result = CliRunner().invoke(main, ["submit", "hello-api", "--url", hello_solution_url])
    assert result.exit_code == 0  # the grade is the learner's result; the hub is a delivery
    assert "hub is unreachable" in result.output and "1 waiting to be sent" in result.output
    with Store.open_default() as store:
        assert store.outbox_count() == 1


def test_a_learner_over_the_hourly_budget_is_told_to_wait_not_that_the_hub_is_down(home):
    import httpx

    answer = httpx.Response(429, headers={"Retry-After": "7",
                                          "Content-Type": "application/problem+json"},
                            json={"type": "/problems/upload-rate-limited", "status": 429,
                                  "title": "Too much sent this hour", "detail": "retry in 7 s"})
    client = HubClient("http://hub", LEARNER, transport=httpx.MockTransport(lambda r: answer))
    with Store.open_default() as store:
        store.record_run(make_report(), "submit", send_to_hub=True)
        result = sync(store, HubLogin(url="http://hub", token=LEARNER), client=client)
    assert result.sent == 0 and result.waiting == 1
    assert "asks you to wait 7 s" in result.problem and "unreachable" not in result.problem


def test_a_captured_flag_reaches_the_hub_once_and_mentors_see_it(home, hub_at):
    """`apilab flag` sends the capture (not the flag) when a hub is configured; a hub that was
    down gets it with the next sync; a resend is harmless; learners see only their own."""
    from sandbox_api.lab_flags import flag_for, install_secret

    url, start = hub_at
    save_hub(HubLogin(url=url, token=LEARNER))
    runner = CliRunner()
    bola = flag_for(install_secret(home), "bola")
    offline = runner.invoke(main, ["flag", "bola", bola], catch_exceptions=False)
    assert offline.exit_code == 0 and "unreachable" in offline.output  # kept for later
    with start():
        with Store.open_default() as store:
            assert sync(store, load_hub()).captures_sent == 1
        online = runner.invoke(main, ["flag", "ssrf", flag_for(install_secret(home), "ssrf")],
                               catch_exceptions=False)
        assert "Sent 1 lab capture to the hub." in online.output
        with HubClient(url, LEARNER) as learner:
            assert learner.put_capture("bola", "API1", "2030-01-01T00:00:00+00:00") is False
            assert [c.challenge for c in learner.captures()] == ["bola", "ssrf"]
        with HubClient(url, MENTOR) as mentor:
            seen = mentor.captures()
        assert [(c.learner, c.challenge, c.category) for c in seen] == [
            ("ada", "bola", "API1"), ("ada", "ssrf", "API7")]
        assert all(bola not in c.model_dump_json() for c in seen)  # the flag never travels
