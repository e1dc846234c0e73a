"""How both apps put text from outside on screen: literally, and cleaned.

A report, a hub, a learner or a mentor can write anything, and Textual would otherwise parse a
string as markup (`[/]` raises MarkupError, `[link=...]` makes a link, `[@click=...]` runs an
action) and pass ESC sequences through to the terminal. The rules:

- untrusted text becomes a Rich `Text` through `apilab.untrusted.safe_text`, or is appended to
  one through `apilab.untrusted.clean`; never a bare string handed to a widget;
- `PlainTextApp` shows notifications and titles literally, cleaned, whatever a screen passes,
  and cleans what it copies to the clipboard;
- `PlainTable` (tui/widgets/plain.py) shows every string cell literally, cleaned;
- `FeedbackMarkdown` (tui/widgets/plain.py) renders someone else's Markdown cleaned, with link
  targets in view (the course's own readings ship with the course and are rendered by
  `tui.widgets.reading`).

The widgets live apart from the app so that starting the app does not import Markdown and
table support that its first screen does not use.

tests/test_architecture.py holds tui/ to these rules; tests/test_untrusted_*_app.py feed attacks
through every screen and read what would reach the terminal.
"""

from __future__ import annotations

from textual.app import App
from textual.content import Content
from textual.notifications import SeverityLevel

from apilab.untrusted import clean, safe_text
from tui import textual_fixes
from tui.collector import IdleCollecting
from tui.widgets.title_bar import TitleBar


def literal(value: object) -> object:
    """`value` made literal for a widget: a string becomes cleaned `Text`; `Text` and other
    renderables are kept (they are never parsed as markup)."""
    return safe_text(value) if isinstance(value, str) else value


class PlainTextApp(IdleCollecting, App[None]):
    """An app whose notifications and titles are never markup and never carry controls."""

    def __init__(self) -> None:
        textual_fixes.apply()
        super().__init__()

    def on_mount(self) -> None:  # Textual calls each class's on_mount: the apps' own run too
        textual_fixes.watch_terminal(self)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """A notification, shown literally: `markup` is accepted for Textual's signature and
        ignored, since the apps' messages so often quote what a server or a hub said."""
        super().notify(clean(message), title=clean(title), severity=severity, timeout=timeout,
                       markup=False)

    def format_title(self, title: str, sub_title: str) -> Content:
        return super().format_title(clean(title), clean(sub_title))

    # Every screen's title bar shows the app's titles: redrawn from here when they change, as a
    # bar watching the app itself would be kept alive by the app (tui/widgets/title_bar.py).
    def watch_title(self) -> None:
        self._retitle()

    def watch_sub_title(self) -> None:
        self._retitle()

    def _retitle(self) -> None:
        if self.is_running:
            for screen in self.screen_stack:
                for bar in screen.query(TitleBar):
                    bar.retitle()

    def copy_to_clipboard(self, text: str) -> None:
        """Copy `text`, cleaned: a command copied from a report (a curl line) is pasted into a
        shell, where ESC[201~ would end bracketed paste and run whatever follows it."""
        super().copy_to_clipboard(clean(text))
