"""What every mentor screen shares: typed access to the app, and hub calls in thread workers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.screen import Screen
from textual.worker import Worker, get_current_worker

from apilab.hubclient import HubError
from tui.screens.base import SizedScreen

if TYPE_CHECKING:
    from tui.mentor_app import MentorApp

T = TypeVar("T")


class MentorScreen(SizedScreen, Screen):
    @property
    def mentor(self) -> MentorApp:
        return cast("MentorApp", self.app)

    def call_hub(self, call: Callable[[], T], done: Callable[[T], Awaitable[Any] | Any],
                 doing: str, group: str = "hub", exclusive: bool = True) -> Worker[None]:
        """Run `call` (which talks to the hub) in a thread; hand its result to `done` on the
        event loop, or report a HubError as a notification. With `exclusive` (for reads), a
        newer call in the same group replaces an older one, whose result is then dropped;
        writes pass False, so that each one is confirmed."""

        def job() -> None:
            try:
                result = call()
            except HubError as exc:
                if not get_current_worker().is_cancelled:
                    self.app.call_from_thread(self._hub_failed, exc, doing)
                return
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._deliver, done, result)

        return self.run_worker(job, thread=True, group=group, exclusive=exclusive, name=doing)

    async def _deliver(self, done: Callable[[T], Awaitable[Any] | Any], result: T) -> None:
        if not self.is_attached:  # the mentor left the screen while the hub answered
            return
        self.mentor.hub_problem = None
        outcome = done(result)
        if isinstance(outcome, Awaitable):
            await outcome

    def _hub_failed(self, exc: HubError, doing: str) -> None:
        self.mentor.hub_failed(exc, doing)
        if self.is_attached:
            self.show_problem(self.mentor.hub_problem or str(exc))

    def show_problem(self, message: str) -> None:
        """Where a screen shows a hub failure besides the notification; override it."""
