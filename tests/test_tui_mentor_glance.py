"""The mentor's app shows the cohort at a glance, from a real hub: per exercise, learners
started, passed, approved and stuck, and who is stuck on which check."""

from __future__ import annotations

import uuid

import pytest

from apilab.hubclient import HubClient
from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.store import HubStore
from tests.helpers import FIXED_TIME, FIXTURE_COURSE, make_report, settle, wait_for
from tui.mentor_app import MentorApp
from tui.screens.mentor_glance import PAGE, GlanceScreen
from tui.widgets.plain import PlainTable

pytestmark = pytest.mark.slow


def cells(table: PlainTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


async def open_glance(app: MentorApp, pilot) -> GlanceScreen:
    await settle(pilot)
    await pilot.press("g")
    await settle(pilot)
    assert isinstance(app.screen, GlanceScreen)
    return app.screen


async def test_the_glance_shows_counts_and_who_is_stuck(tmp_path, monkeypatch, fixture_course):
    monkeypatch.setenv("APILAB_COURSE", str(FIXTURE_COURSE))
    db = tmp_path / "hub.db"
    tokens = {name: new_token() for name in ("ada", "bob", "mia")}
    store = HubStore(db)
    for name, token in tokens.items():
        store.add_user(name, "mentor" if name == "mia" else "learner", hash_token(token))
    store.close()
    with hub_process(db) as url:
        with HubClient(url, tokens["ada"]) as ada:
            ada.put_submission(str(uuid.uuid4()), make_report("whoami", passed=(True,)).to_json(),
                               "submit")
        with HubClient(url, tokens["bob"]) as bob:
            for seed in range(3):
                report = make_report("hello-api", passed=(True, True, False), seed=seed)
                bob.put_submission(str(uuid.uuid4()), report.to_json(), "submit")
        with HubClient(url, tokens["mia"]) as client:
            app = MentorApp(client, fixture_course)
            async with app.run_test(size=(130, 40)) as pilot:
                screen = await open_glance(app, pilot)
                assert cells(screen.query_one("#glance-exercises", PlainTable)) == [
                    ["http-basics", "Hello, API", "1", "0", "0", "1", "Check number 2 (1 of 1)"],
                    ["auth-basics", "Who am I?", "1", "1", "0", "0", ""]]
                stuck = cells(screen.query_one("#glance-stuck", PlainTable))
                assert [row[:4] + row[5:] for row in stuck] == [
                    ["bob", "hello-api", "same check failing 3 runs running", "3",
                     "Check number 2"]]
                assert "1 stuck" in str(screen.query_one("#glance-summary").render())
                await pilot.press("escape")
                assert not isinstance(app.screen, GlanceScreen)


async def test_a_cohort_of_many_stuck_learners_is_fetched_as_the_list_is_scrolled(
        tmp_path, monkeypatch, fixture_course):
    monkeypatch.setenv("APILAB_COURSE", str(FIXTURE_COURSE))
    db = tmp_path / "hub.db"
    token = new_token()
    store = HubStore(db, clock=lambda: FIXED_TIME)  # long ago: every one of them is idle
    report = make_report("hello-api", passed=(True, False, True))
    for n in range(2 * PAGE + 20):
        learner = store.add_user(f"learner-{n:03}", "learner", hash_token(f"learner-{n}"))
        store.put_submission(learner, str(uuid.uuid4()), "submit", report)
    store.add_user("mia", "mentor", hash_token(token))
    store.close()
    with hub_process(db) as url, HubClient(url, token) as client:
        app = MentorApp(client, fixture_course)
        async with app.run_test(size=(130, 40)) as pilot:
            screen = await open_glance(app, pilot)
            stuck = screen.query_one("#glance-stuck", PlainTable)
            summary = screen.query_one("#glance-summary")
            assert stuck.row_count == PAGE  # one page, not the whole cohort
            assert f"{2 * PAGE + 20} stuck" in str(summary.render())
            assert f"Showing {PAGE}" in str(summary.render())
            await pilot.press("m")
            await wait_for(pilot, lambda: stuck.row_count == 2 * PAGE)
            stuck.focus()
            await pilot.press("ctrl+end")  # the end of the list fetches the rest
            await wait_for(pilot, lambda: stuck.row_count == 2 * PAGE + 20)
            names = [str(stuck.get_row_at(row)[0]) for row in range(stuck.row_count)]
            assert names == [f"learner-{n:03}" for n in range(2 * PAGE + 20)]
            assert "Showing" not in str(summary.render())
