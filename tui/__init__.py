"""The terminal app. Only this package imports Textual; `apilab` opens it lazily.

    run_app(course, store)  # the course map, the sandbox running in the background
    run_mentor_app(hub)     # the review queue of a hub, for a mentor
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apilab.catalog.cache import KeptCourse
    from apilab.catalog.models import Course
    from apilab.settings import HubLogin
    from apilab.store import Store


def run_app(course: Course | KeptCourse, store: Store, start_sandbox: bool = True,
            store_problem: str | None = None, notices: Sequence[str] = (),
            server_url: str | None = None) -> int:
    """Run the app until the learner quits; its exit code. With `start_sandbox`, the practice API
    starts in the background on port 8000 (or a free port if 8000 is busy; the app shows where).
    `store_problem` says why progress is not being saved, when the learner's own store could not
    be opened; `notices` are shown once the app is up (what was cleaned up after an earlier run);
    `server_url` is where the exercises find the learner's server, when not the default.

    Every process the app started ends with it, however it ends: `q`, Ctrl-C, a crash, or SIGHUP
    (the terminal closed), SIGTERM or SIGINT sent to it. On a signal, they are stopped at once,
    before the app tries to restore a terminal that may be gone."""
    from apilab.processes import Processes, ending_on_signals, exit_soon
    from apilab.sandbox_control import DEFAULT_PORT
    from apilab.sandbox_process import SandboxProcess
    from tui.app import ApilabApp

    processes = Processes()
    sandbox = SandboxProcess(port=DEFAULT_PORT, processes=processes) if start_sandbox else None
    app = ApilabApp(course, store, sandbox, start_sandbox=start_sandbox, store_problem=store_problem,
                    notices=notices, processes=processes,
                    **({"server_url": server_url} if server_url else {}))

    def end(signum: int) -> None:
        exit_soon(128 + signum, 15.0)  # in case the app cannot finish drawing on a closed terminal
        app.stop_processes(final=True)
        try:
            asyncio.get_running_loop().call_soon_threadsafe(app.exit, None, 128 + signum)
        except RuntimeError:  # before the app's loop runs, or after it stopped
            raise SystemExit(128 + signum) from None

    try:
        with ending_on_signals(end, (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)):
            app.run()
    finally:
        app.stop_processes(final=True)
        store.close()
    return app.return_code or 0


def run_mentor_app(hub: HubLogin, course: Course | None = None) -> None:
    """Run the mentor's app against `hub` until the mentor quits. `course`, when there is one,
    names the exercises for the filters and the cohort view; the hub is enough without it."""
    from apilab.hubclient import HubClient
    from apilab.settings import current_token
    from tui.mentor_app import MentorApp

    # a new `apilab login` made while the app is open is picked up at the next refused call
    with HubClient(hub.url, hub.token, relogin=lambda: current_token(hub.url)) as client:
        MentorApp(client, course).run()
