"""The cohort's numbers for one exercise: each check's pass rate as a bar, and the checks that
fail most, so a mentor sees where the instructions confuse people."""

from __future__ import annotations

from rich.text import Text

from apilab.untrusted import clean, safe_text
from apilab.views.mentor import pass_rate_bar, unreadable
from hub.protocol import CohortStats, Unreadable
from tui.widgets.plain import PlainTable


class CheckRates(PlainTable):
    """One row per check, in the exercise's order; a check that could not be read says so."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        # The numbers first: a check's title can be as long as a sentence, and the table
        # scrolls sideways to the rest of it rather than pushing the numbers out of sight.
        for column in ("pass rate", "passed", "check"):
            self.add_column(column, key=column)

    def show(self, stats: CohortStats) -> None:
        self.clear()
        for index, check in enumerate(stats.checks):
            if isinstance(check, Unreadable):
                self.add_row(Text(""), Text(""), unreadable())
                continue
            key = check.id if check.id not in self.rows else f"{check.id}-{index}"
            self.add_row(pass_rate_bar(check.pass_rate, width=10),
                         safe_text(f"{check.passed}/{check.attempts}"), safe_text(check.title),
                         key=key)


def most_failing_text(stats: CohortStats) -> Text:
    """The checks that fail most, worst first, with how many learners fail each; a plain
    sentence when none fails."""
    if not stats.most_failing:
        return Text("No check fails for anyone yet." if stats.learners else
                    "Nobody has submitted this exercise yet.", style="dim")
    text = Text()
    for check in stats.most_failing:
        if isinstance(check, Unreadable):
            text.append_text(unreadable()).append("\n")
            continue
        text.append(f"{check.failures:>3} ({check.fail_rate:>4.0%})  ", style="red")
        text.append(clean(check.title) + "\n")
    text.append("\nlearners failing it (share of those who ran it)", style="dim")
    return text
