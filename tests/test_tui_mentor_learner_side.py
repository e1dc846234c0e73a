"""What a learner sees of a mentor's review: the verdict and any score override on the course
map, in the inbox, and beside the report."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Static

from tests.helpers import FIXED_TIME, make_report
from tui.app import ApilabApp
from tui.screens.course_map import reviews_text
from tui.screens.inbox import FeedbackItem
from tui.screens.report import ReportScreen


async def test_the_course_map_shows_approval_and_an_override(fixture_course, store):
    hello = store.record_run(make_report("hello-api", passed=(True, True, False)))
    whoami = store.record_run(make_report("whoami", passed=(False,), points=(2,)))
    store.add_feedback(hello, "mia", "Nice", verdict="approved", score_override=3,
                       reason="the 500 is the fixture's fault")
    store.add_feedback(whoami, "mia", "Look at the token check", verdict="changes_requested")
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one("#reviews", Static)
        assert panel.display
        text = str(panel.render())
        assert "1. Hello, API  ✓ approved  score set to 3/5" in text
        assert "2. Who am I?  ✎ changes requested" in text
        rows = {item.exercise.slug: item for item in app.screen.items if hasattr(item, "exercise")}
        hello_row = [cell.plain.strip() for cell in rows["hello-api"].cells()]
        assert "3*/5" in hello_row and "approved ✓" in hello_row
        whoami_row = [cell.plain.strip() for cell in rows["whoami"].cells()]
        assert "changes requested" in whoami_row


async def test_reviews_leave_the_next_steps_commands_in_view_at_80x24(fixture_course, store):
    run = store.record_run(make_report("hello-api", passed=(True, True, False)))
    store.add_feedback(run, "mia", "Look at the 500", verdict="changes_requested")
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        side = app.screen.query_one("#map-side")
        how_to, reviews = (app.screen.query_one(name, Static) for name in ("#how-to", "#reviews"))
        assert reviews.display and "apilab check hello-api" in str(how_to.render())
        assert side.region.contains_region(how_to.region)  # the commands too, not scrolled to
        assert reviews.region.y > how_to.region.y


async def test_the_course_map_shows_the_best_run_not_the_last_reviewed(fixture_course, store):
    later = FIXED_TIME + timedelta(hours=1)
    old = store.record_run(make_report("hello-api", passed=(True, True, False)), "submit")
    store.add_feedback(old, "mia", "Fair", verdict="approved", score_override=2, reason="partly")
    store.record_run(make_report("hello-api", passed=(True, True, True), started_at=later),
                     "submit")
    passing = store.record_run(make_report("whoami", passed=(True,), points=(2,)), "submit")
    store.add_feedback(passing, "mia", "Passing, but check the realm", verdict="changes_requested")
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        rows = {item.exercise.slug: item for item in app.screen.items if hasattr(item, "exercise")}
        hello_row = [cell.plain.strip() for cell in rows["hello-api"].cells()]
        assert "3/3" in hello_row and "in review" in hello_row  # not "2*/5" and "approved ✓"
        panel = str(app.screen.query_one("#reviews", Static).render())
        assert ("1. Hello, API  3/3 passed, submitted, not yet reviewed (an earlier attempt was "
                "approved)") in panel
        assert "2. Who am I?  ✎ changes requested" in panel
        how_to = str(app.screen.query_one("#how-to", Static).render())
        assert "Every exercise passed" not in how_to and "2. Who am I?" in how_to
        assert rows["whoami"].is_next


async def test_no_reviews_no_panel(fixture_course, store):
    store.record_run(make_report("hello-api"))
    store.add_feedback(store.runs()[0].id, "mia", "Just a note")
    assert reviews_text(fixture_course, store.progress()) is None
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#reviews", Static).display


async def test_a_review_in_the_inbox_and_beside_its_report(fixture_course, store):
    run_id = store.record_run(make_report("hello-api", passed=(True, True, False)))
    store.add_feedback(run_id, "mia", "", verdict="changes_requested", score_override=1,
                       reason="hard-coded ids")
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        item = app.screen.query_one(FeedbackItem)
        line = str(item.query_one("Label").render())
        assert "changes requested · score set to 1" in line and "hard-coded ids" in line
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        heading = str(app.screen.query_one("#feedback-heading").render())
        assert "verdict: changes requested" in heading
        assert "score set to 1: hard-coded ids" in heading
