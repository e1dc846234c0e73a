"""Opening a page in the learner's browser, only where there is a graphical one to open."""

from __future__ import annotations

import os
import sys
import webbrowser


def open_in_browser(url: str) -> bool:
    """Open `url` in a graphical browser on this machine; False, without trying, where there is
    none (over SSH, on a server). A text-mode browser (lynx, w3m) is never started: it would take
    over the terminal the app is drawing in. The caller shows the URL either way."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if type(browser) is webbrowser.GenericBrowser:  # how text-mode browsers are registered
        return False
    try:
        return browser.open(url)
    except (webbrowser.Error, OSError):
        return False
