"""The footer of every screen: what matters first, and only the keys that fit.

Textual's footer lists the focused widget's keys, then the screen's, then the app's, and cuts
the line at the terminal's edge: at 80 columns an exercise lost `?` (the key that lists all the
others), `q` and the app's own keys. Here `?` comes first, then the screen's keys in the order
the screen declares them (most used first), then the focused widget's, then the app's; a key
that does not fit is left out of the line, never cut in half, and stays listed under `?`.

It is one widget drawing one line of text, redrawn when the screen's keys change: Textual's footer
recomposes a widget per key at every change of focus, which cost an exercise screen a third of
its opening time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

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


class KeyFooter(Widget):
    """The screen's keys in order of importance, cut to the width; a click on one presses it."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[tuple[int, int, Shown]] = []  # each key shown: its first and end cells

    @property
    def shown(self) -> list[Shown]:
        """The keys on the line, as last drawn."""
        return [shown for _start, _end, shown in self.spans]

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        line, self.spans = Text(no_wrap=True, overflow="crop"), []
        for shown in fitting(ordered_keys(self.screen), self.size.width, self.app.get_key_display):
            binding, enabled, _tooltip = shown
            start = line.cell_len
            line.append(self.app.get_key_display(binding), key_style)
            line.append(" " + binding.description, description_style)
            if not enabled:
                line.stylize("dim", start)
            self.spans.append((start, line.cell_len, shown))
            line.append(" ")
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, (binding, enabled, _tooltip) in self.spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(binding.key)
                else:
                    self.app.bell()
                return
