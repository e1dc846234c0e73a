"""The mentor's terminal app: wiring only. Its screens are tui/screens/mentor_*.py, and it shares
the learner app's stylesheet and report widgets.

Every hub call runs in a thread worker (HubClient is synchronous); a failure becomes a
notification that says what to do, never a traceback.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.worker import get_current_worker

from apilab.catalog.models import Course
from apilab.hubclient import HubClient, HubError
from apilab.views.mentor import explain
from hub.protocol import Me
from tui.plain import PlainTextApp


class MentorApp(PlainTextApp):
    """Review learners' submissions on a hub: a queue, each report, feedback, reviews, cohort."""

    CSS_PATH = ["apilab.tcss", "screens.tcss"]
    TITLE = "apilab mentor"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Keys", key_display="?"),
    ]

    def __init__(self, client: HubClient, course: Course | None = None) -> None:
        super().__init__()
        self.client = client
        self.course = course
        self.hub_problem: str | None = None  # the last failure, shown until a call succeeds

    def on_mount(self) -> None:
        from tui.screens.mentor_queue import QueueScreen

        self.sub_title = "connecting…"
        self.push_screen(QueueScreen())
        self.run_worker(self._who_am_i, thread=True, group="me")

    def _who_am_i(self) -> None:
        try:
            me = self.client.me()
        except HubError:  # the queue, asking at the same time, tells the mentor what is wrong
            self.call_from_thread(setattr, self, "sub_title", "not connected")
            return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._signed_in, me)

    def _signed_in(self, me: Me) -> None:
        self.sub_title = f"{me.name} ({me.role})"
        if me.role != "mentor":
            self.notify("This token belongs to a learner: the queue and reviews need a mentor "
                        "token. apilab login HUB_URL --token TOKEN", title="Not a mentor",
                        severity="error", timeout=20)

    def hub_failed(self, exc: HubError, doing: str) -> None:
        """Tell the mentor what went wrong while `doing` something, and what to do about it."""
        title, message = explain(exc)
        self.hub_problem = message
        self.notify(message, title=f"{title} ({doing})", severity="error", timeout=15)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
