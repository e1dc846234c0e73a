"""The collector's full passes, made while an app is idle rather than in the middle of a screen.

A full pass of Python's garbage collector walks every object that is alive and not frozen: the
open screens' widgets, the readings kept for the next opening, Textual's caches. In the app that
takes 20 to 50 ms, and the collector starts one on its own once enough objects have been made,
which happens most often while a screen opens, since an opening makes the most. Measured in
bench/tui_screens.py, a second opening of the exercise screen took 96 ms where the first took
78 ms, the difference one full pass; with full passes kept out of the openings, both took 77 ms.

So while an app runs, the collector starts full passes on its own ten times less often, and the
app makes one itself once it has been idle for a second (no key, no mouse, no screen opened or
closed), if objects have been made since the last one. Young objects are collected as often as
ever: only the passes over the old ones move. The collector's settings are put back when the app
ends, since the process may go on (a test runner runs app after app).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from textual import events

IDLE = 1.0  # seconds without a key, the mouse or a screen change before an app counts as idle
RARER = 10  # full passes the collector starts on its own, this many times less often


class IdleCollecting:
    """For an app (a Textual `App`, after this class among its bases): the collector's full
    passes made while it is idle. Both apps have it through `tui.plain.PlainTextApp`."""

    collect_when_idle_for = IDLE
    _thresholds: tuple[int, int, int] | None = None  # the collector's, as the app found them

    def on_mount(self) -> None:  # Textual calls each class's on_mount: the apps' own run too
        self._active_at = time.monotonic()
        young, middle, old = self._thresholds = gc.get_threshold()
        gc.set_threshold(young, middle, old * RARER)
        self.set_interval(self.collect_when_idle_for / 2, self._collect_if_idle)  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._active_at = time.monotonic()
        await super().on_event(event)  # type: ignore[misc]

    # A screen also opens and closes without a key (a run's report when it is done).
    def push_screen(self, *args: Any, **kwargs: Any) -> Any:
        self._active_at = time.monotonic()
        return super().push_screen(*args, **kwargs)  # type: ignore[misc]

    def pop_screen(self) -> Any:
        self._active_at = time.monotonic()
        return super().pop_screen()  # type: ignore[misc]

    def switch_screen(self, screen: Any) -> Any:
        self._active_at = time.monotonic()
        return super().switch_screen(screen)  # type: ignore[misc]

    def _collect_if_idle(self) -> None:
        # The third count is how many passes over the middle generation were made since the last
        # full pass: with none, little was made since, and there is nothing to collect.
        if gc.get_count()[2] and time.monotonic() - self._active_at >= self.collect_when_idle_for:
            gc.collect()
