"""The stages of an exercise as steps above its report: ✓ done, ▶ current, · later."""

from __future__ import annotations

from textual.widgets import Static

from apilab.views.stages import steps_text
from grader.report import Report


class StageSteps(Static):
    """Shown for a report of an exercise in several stages; hidden otherwise."""

    def on_mount(self) -> None:
        self.display = False

    def show(self, report: Report | None) -> None:
        self.display = report is not None and len(report.stages) > 1
        if report is not None and self.display:
            self.update(steps_text(report))
