"""The address of the learner's server set in the app (u) is kept: the other exercises use it,
and so does the next start of the app; logging in to a hub keeps it, and it keeps the login."""

from __future__ import annotations

from textual.widgets import Input

from apilab.commands.apps import _remembered_server_url
from apilab.settings import HubLogin, load_hub, load_server_url, save_hub, save_server_url
from tests.helpers import open_exercise, run_checks, wait_for
from tui.app import ApilabApp


async def test_the_url_set_with_u_is_remembered_for_the_next_start(fixture_course, store,
                                                                   hello_solution_url):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.press("u")
        screen.query_one("#url", Input).value = hello_solution_url
        await pilot.press("enter")  # keeps it and grades there
        await wait_for(pilot, lambda: screen.report is not None)
        await run_checks(pilot, screen)
        assert screen.report.url == hello_solution_url and screen.report.status == "pass"
        assert app.server_url == hello_solution_url
    assert load_server_url() == hello_solution_url
    assert _remembered_server_url() == hello_solution_url  # what `apilab` opens the app with


def test_the_login_and_the_url_keep_each_other():
    hub = HubLogin(url="http://127.0.0.1:9", token="apilab_x", name="ada", role="learner")
    save_hub(hub)
    save_server_url("http://127.0.0.1:8321")
    assert load_hub() == hub
    save_hub(None)
    assert load_server_url() == "http://127.0.0.1:8321" and load_hub() is None
