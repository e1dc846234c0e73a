"""Small display helpers shared by the screens (no Textual here)."""

from __future__ import annotations

from datetime import datetime


def when(moment: datetime | None) -> str:
    """A time in the learner's local time zone, to the minute."""
    if moment is None:
        return "never"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
