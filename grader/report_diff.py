"""What changed between two runs of an exercise: which checks flipped between pass and fail."""

from __future__ import annotations

from dataclasses import dataclass

from grader.report import Report

# The status of a check in a later stage that a run by stages did not reach.
NOT_RUN = "not run"


@dataclass(frozen=True)
class CheckChange:
    id: str
    title: str
    before: str | None  # "pass", "fail", NOT_RUN, or None when the older run did not have this check
    after: str | None

    @property
    def label(self) -> str:
        if self.after == NOT_RUN:
            return "not run"
        if self.before == NOT_RUN:
            return "reached"
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
    before, after = _statuses(older), _statuses(newer)
    ran = {check.id for check in newer.checks}
    changes = [CheckChange(c.id, c.title, before.get(c.id), c.status) for c in newer.checks]
    changes += [CheckChange(c.id, c.title, c.status, after.get(c.id)) for c in older.checks
                if c.id not in ran]
    return [c for c in changes if c.before != c.after] if changed_only else changes


def _statuses(report: Report) -> dict[str, str]:
    """Each check's status in `report`, NOT_RUN for those of the stages it did not reach."""
    waiting = {check_id: NOT_RUN for stage in report.not_run for check_id in stage.checks}
    return {**waiting, **{check.id: check.status for check in report.checks}}
