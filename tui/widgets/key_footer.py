"""The footer of every screen: what matters first, and only the keys that fit.

Textual's footer lists the focused widget's keys, then the screen's, then the app's, and cuts
the line at the terminal's edge: at 80 columns an exercise lost `?` (the key that lists all the
others), `q` and the app's own keys. Here `?` comes first, then the screen's keys in the order
the screen declares them (most used first), then the focused widget's, then the app's; a key
that does not fit is left out of the line, never cut in half, and stays listed under `?`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP_ACTION = "help"  # the app's `?`: every key of the screen, whatever the footer leaves out

Shown = tuple[Binding, bool, str]  # a binding, whether it is enabled, its tooltip


def ordered_keys(screen: Screen) -> list[Shown]:
    """The keys the footer may show, one per action, in the order they matter."""
    first, own, widgets, app = [], [], [], []
    seen: set[str] = set()
    for node, binding, enabled, tooltip in screen.active_bindings.values():
        if not binding.show or binding.action in seen:
            continue
        seen.add(binding.action)
        shown = (binding, enabled, tooltip)
        if binding.action == HELP_ACTION:
            first.append(shown)
        elif node is screen:
            own.append(shown)
        elif node is screen.app:
            app.append(shown)
        else:
            widgets.append(shown)
    return [*first, *own, *widgets, *app]


def fitting(keys: Iterable[Shown], width: int, key_display: Callable[[Binding], str]) -> list[Shown]:
    """The keys, in order, that fit in `width` cells; one that does not fit is skipped, so a
    shorter one after it may still be shown."""
    chosen, used = [], 0
    for shown in keys:
        binding = shown[0]
        # a compact footer key: the key, a space, the description, then one cell of margin
        needed = cell_len(key_display(binding)) + 1 + cell_len(binding.description) + 1
        if used + needed <= width:
            chosen.append(shown)
            used += needed
    return chosen


class KeyFooter(Footer):
    """A compact footer with the screen's keys in order of importance, cut to the width."""

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self._width = 0

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._width = self.app.size.width
        for binding, enabled, tooltip in fitting(ordered_keys(self.screen), self._width,
                                                 self.app.get_key_display):
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description,
                            binding.action, disabled=not enabled,
                            tooltip=tooltip).data_bind(compact=Footer.compact)

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and self.app.size.width != self._width:
            self.call_after_refresh(self.recompose)
