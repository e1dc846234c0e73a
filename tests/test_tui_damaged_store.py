"""A damaged progress database at start-up: the app still opens, and says what to do."""

from __future__ import annotations

from apilab.commands.apps import store_for_app
from tui.app import ApilabApp


async def test_the_app_opens_on_a_scratch_store_and_explains(fixture_course, tmp_path, monkeypatch):
    monkeypatch.setenv("APILAB_HOME", str(tmp_path))
    (tmp_path / "progress.db").write_bytes(b"this is not a database" * 100)

    store, problem = store_for_app()
    assert store.path != tmp_path / "progress.db"
    assert f"mv {tmp_path / 'progress.db'}" in problem and "not kept" in problem

    app = ApilabApp(fixture_course, store, store_problem=problem)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one("#store-problem")
        assert panel.display and "not kept" in str(panel.render())
        assert any(n.title == "Progress is not being saved" for n in app._notifications)
    store.close()
