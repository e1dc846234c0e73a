"""Workarounds for Textual's known bugs, each named with its upstream issue: `apply()` puts them
in place (both apps call it as they are made), and skips one when the code it fixes has changed.

- Textual #6665: `StylesCache.get_inner_outer` is an instance method under `functools.lru_cache`,
  so its cache's keys hold up to 1,024 `StylesCache` objects, each with the lines of a widget
  that is long gone. The app opens and closes screens all day: measured, every round of six
  screens left about 4,000 drawn lines behind, and each full pass of the garbage collector,
  walking them all, took longer (one fell in most openings of the exercise screen, 54 ms in the
  first round, 180 ms by the fourth). The colours alone now key the cache.
- Textual #6690: when the terminal goes away and no SIGHUP comes with it (an SSH connection that
  drops, a terminal closed under `make run`, where make leads the terminal's session, gets the
  signal and does not pass it on), reading the terminal gives end-of-file at once, forever. The
  input thread spun a core, and the app lived on with everything it had started (the sandbox
  kept port 8000). `watch_terminal` looks every second whether the app's terminal is still one
  and, once it is not, raises the SIGHUP that should have come: both apps end on it as when
  their terminal closes.
"""

from __future__ import annotations

import os
import signal
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

from textual._styles_cache import StylesCache
from textual.color import Color
from textual.style import Style

if TYPE_CHECKING:
    from textual.app import App


def apply() -> None:
    _unpin_styles_caches()


def _unpin_styles_caches() -> None:
    cached = StylesCache.__dict__.get("get_inner_outer")
    inner_outer = getattr(cached, "__wrapped__", None)
    if inner_outer is None or not hasattr(cached, "cache_info"):
        return  # no longer a cached method: fixed upstream, or changed beyond this workaround

    @lru_cache(1024)
    def by_colours(base_background: Color, background: Color) -> tuple[Style, Style]:
        return inner_outer(None, base_background, background)

    def get_inner_outer(self: StylesCache, base_background: Color,
                        background: Color) -> tuple[Style, Style]:
        return by_colours(base_background, background)

    StylesCache.get_inner_outer = get_inner_outer  # type: ignore[method-assign]


def watch_terminal(app: App) -> None:
    """Textual #6690: once the terminal `app` runs in is gone, SIGHUP, as from a closed terminal
    (a headless app, or one started on no terminal, has none to watch)."""
    try:
        terminal = sys.__stdin__.fileno() if sys.__stdin__ else -1
    except (OSError, ValueError):  # stdin closed
        return
    if app.is_headless or not os.isatty(terminal):
        return

    def look() -> None:
        if not os.isatty(terminal):
            watch.stop()  # once: the signal ends the app
            signal.raise_signal(signal.SIGHUP)

    watch = app.set_interval(1.0, look)
