"""The terminal app. Only this package imports Textual; `apilab` opens it lazily.

    run_app(course, store)  # the course map, the sandbox running in the background
    run_mentor_app(hub)     # the review queue of a hub, for a mentor
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apilab.catalog.models import Course
    from apilab.settings import HubLogin
    from apilab.store import Store


def run_app(course: Course, store: Store, start_sandbox: bool = True,
            store_problem: str | None = None) -> None:
    """Run the app until the learner quits. With `start_sandbox`, the practice API starts in
    the background on port 8000 (or a free port if 8000 is busy; the app shows where).
    Every process the app started is stopped when it ends, crash included. `store_problem`
    says why progress is not being saved, when the learner's own store could not be opened."""
    from apilab.sandbox_control import DEFAULT_PORT
    from apilab.sandbox_process import SandboxProcess
    from tui.app import ApilabApp

    sandbox = SandboxProcess(port=DEFAULT_PORT) if start_sandbox else None
    app = ApilabApp(course, store, sandbox, start_sandbox=start_sandbox, store_problem=store_problem)
    try:
        app.run()
    finally:
        app.stop_processes()
        store.close()


def run_mentor_app(hub: HubLogin, course: Course | None = None) -> None:
    """Run the mentor's app against `hub` until the mentor quits. `course`, when there is one,
    names the exercises for the filters and the cohort view; the hub is enough without it."""
    from apilab.hubclient import HubClient
    from apilab.settings import current_token
    from tui.mentor_app import MentorApp

    # a new `apilab login` made while the app is open is picked up at the next refused call
    with HubClient(hub.url, hub.token, relogin=lambda: current_token(hub.url)) as client:
        MentorApp(client, course).run()
