"""The runner keeps its promise of a report whatever happens inside a check."""

from __future__ import annotations

from grader.checks import registry
from grader.runner import grade
from tests import hostile_servers as hs


async def test_a_bug_in_a_check_costs_that_check_not_the_report(monkeypatch):
    @registry.check("broken-for-test")
    async def broken(ctx):
        """Proves nothing: it divides by zero, as a buggy check might."""
        return 1 / 0

    monkeypatch.setitem(registry.default().checks, "broken-for-test", registry.registration(broken))
    exercise = hs.exercise(
        {"id": "buggy", "title": "A buggy check", "points": 1, "use": "broken-for-test"},
        hs.get_json_check(),
    )
    with hs.serve_app(hs.echo_app()) as url:
        report = await grade(exercise, url, seed=1)
    buggy, after = report.checks
    assert buggy.status == "fail" and "ZeroDivisionError" in buggy.message
    assert "bug in apilab, not in your server" in buggy.message
    assert after.id == "lists-books"  # the run went on
