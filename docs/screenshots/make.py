"""Regenerate the README's screenshots from the app itself: `.venv/bin/python docs/screenshots/make.py`.

It grades the reading-list starter (served on a free port) in a headless app with a throwaway
progress store, then saves the course map and the exercise screen as SVG.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


async def main() -> None:
    from apilab import paths
    from apilab.app_servers import materialize, serve_app
    from apilab.catalog.loader import load_course
    from apilab.store import Store
    from tui.app import ApilabApp
    from tui.widgets.course_list import ExerciseItem

    course = load_course(paths.course_root())
    exercise = course.exercise("reading-list")
    with tempfile.TemporaryDirectory() as tmp, \
            serve_app(materialize(exercise, "starter", Path(tmp) / "starter")) as url:
        store = Store(Path(tmp) / "progress.db")
        app = ApilabApp(course, store, server_url=url)
        async with app.run_test(size=(130, 40)) as pilot:
            await pilot.pause()
            item = next(i for i in app.screen.items if isinstance(i, ExerciseItem))
            app.screen.query_one("#course-list").index = app.screen.items.index(item)
            await pilot.press("enter")
            screen = app.screen
            await pilot.press("r")
            deadline = time.monotonic() + 30
            while screen.report is None and time.monotonic() < deadline:
                await pilot.pause(0.1)
            await pilot.pause(0.5)
            app.save_screenshot("exercise.svg", str(HERE))
            await pilot.press("escape")
            await pilot.pause(0.5)
            app.save_screenshot("course-map.svg", str(HERE))
        store.close()


if __name__ == "__main__":
    os.environ.setdefault("APILAB_HOME", tempfile.mkdtemp(prefix="apilab-screens-"))
    asyncio.run(main())
