"""An exercise's stages as steps a learner walks: ✓ done, ▶ the current one (the first not done),
· later. No Textual here: the terminal app's steps widget shows it, the tests read it."""

from __future__ import annotations

from typing import Literal

from rich.text import Text

from apilab.untrusted import clean
from grader.report import Report

StepState = Literal["done", "current", "later"]
MARKS: dict[StepState, str] = {"done": "✓", "current": "▶", "later": "·"}
STYLES: dict[StepState, str] = {"done": "green", "current": "bold yellow", "later": "dim"}


def stage_steps(report: Report) -> list[tuple[StepState, str]]:
    """Each stage of the run with its state: done when every one of its checks ran and passed;
    the first stage not done is the current one, the others not done come later."""
    passed = {check.id for check in report.checks if check.passed}
    steps: list[tuple[StepState, str]] = []
    current_seen = False
    for stage in report.stages:
        if stage.ran and all(check_id in passed for check_id in stage.checks):
            steps.append(("done", stage.title))
        else:
            steps.append(("later" if current_seen else "current", stage.title))
            current_seen = True
    return steps


def steps_text(report: Report) -> Text:
    """The steps on one wrapping line; a report may come from elsewhere, so titles are cleaned."""
    text = Text()
    steps = stage_steps(report)
    for number, (state, title) in enumerate(steps, 1):
        if number > 1:
            text.append("  ")
        text.append(f"{MARKS[state]} {number} {clean(title)}", style=STYLES[state])
    if not_run := report.waiting:
        text.append(f"  ({not_run} check{'s' * (not_run != 1)} of later stages not run yet)",
                    style="dim")
    return text
