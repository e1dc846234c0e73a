"""The cohort's numbers for one exercise: each check's pass rate as a bar, and the checks that
fail most, so a mentor sees where the instructions confuse people."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from apilab.untrusted import clean, safe_text
from apilab.views.mentor import UNREADABLE_DATA, pass_rate_bar, unreadable
from tui.plain import PlainTable


class CheckRates(PlainTable):
    """One row per check, in the exercise's order; a check that cannot be read says so."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for column in ("check", "passed", "pass rate"):
            self.add_column(column, key=column)

    def show(self, stats: dict[str, Any]) -> None:
        self.clear()
        for index, check in enumerate(stats.get("checks") or []):
            try:
                cells = (safe_text(check["title"]), safe_text(f"{check['passed']}/{check['attempts']}"),
                         pass_rate_bar(check["pass_rate"], width=10))
                key = str(check["id"])
            except UNREADABLE_DATA:
                cells, key = (unreadable(), Text(""), Text("")), None
            self.add_row(*cells, key=key if key not in self.rows else f"{key}-{index}")


def most_failing_text(stats: dict[str, Any]) -> Text:
    """The checks that fail most, worst first, with how many learners fail each; a plain
    sentence when none fails."""
    if not stats.get("most_failing"):
        return Text("No check fails for anyone yet." if stats.get("learners") else
                    "Nobody has submitted this exercise yet.", style="dim")
    text = Text()
    for check in stats["most_failing"]:
        try:
            line = (f"{check['failures']:>3} ({check['fail_rate']:>4.0%})  ", clean(check["title"]))
        except UNREADABLE_DATA:
            text.append_text(unreadable()).append("\n")
            continue
        text.append(line[0], style="red").append(line[1] + "\n")
    text.append("\nlearners failing it (share of those who ran it)", style="dim")
    return text
