"""The report as JSON: the same document the store keeps and the hub receives."""

from __future__ import annotations

from grader.report import Report


def render_json(report: Report) -> str:
    """`report.to_json()`: schema-versioned, every field, hidden checks already redacted."""
    return report.to_json()
