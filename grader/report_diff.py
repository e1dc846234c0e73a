"""What changed between two runs of an exercise: which checks flipped between pass and fail."""

from __future__ import annotations

from dataclasses import dataclass

from grader.report import Report


@dataclass(frozen=True)
class CheckChange:
    id: str
    title: str
    before: str | None  # "pass", "fail", or None when the older run did not have this check
    after: str | None

    @property
    def label(self) -> str:
        if self.before == "fail" and self.after == "pass":
            return "fixed"
        if self.before == "pass" and self.after == "fail":
            return "broken"
        if self.before is None:
            return "new"
        if self.after is None:
            return "gone"
        return "same"


def diff_reports(older: Report, newer: Report, changed_only: bool = True) -> list[CheckChange]:
    """The checks of both runs, in the newer run's order, then any the newer run lacks."""
    before = {check.id: check for check in older.checks}
    after = {check.id: check for check in newer.checks}
    changes = [CheckChange(c.id, c.title, before[c.id].status if c.id in before else None, c.status)
               for c in newer.checks]
    changes += [CheckChange(c.id, c.title, c.status, None) for c in older.checks
                if c.id not in after]
    return [c for c in changes if c.before != c.after] if changed_only else changes
