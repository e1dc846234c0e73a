"""The report as JSON: the same document the store keeps and the hub receives."""

from __future__ import annotations

from apilab.untrusted import clean_json
from grader.report import Report


def render_json(report: Report) -> str:
    """`report.to_json()`: schema-versioned, every field, hidden checks already redacted; the
    characters that could drive a terminal written as JSON escapes, so the data is unchanged."""
    return clean_json(report.to_json())
