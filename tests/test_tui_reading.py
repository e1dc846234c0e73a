"""A reading (a lesson's text, an exercise's task): its first screenful first, then the whole,
and kept for the next opening at the same width."""

from __future__ import annotations

from pathlib import Path

import pytest

from apilab.catalog.loader import load_course
from tests.helpers import wait_for
from tui.app import ApilabApp
from tui.screens.lesson import LessonScreen
from tui.widgets import reading as reading_module
from tui.widgets.reading import RENDERED, Reading, opening

CODE = "```sh\napilab start reading-list\n\napilab check reading-list\n```\n"


def test_the_opening_ends_at_a_blank_line_past_the_lines_asked_for():
    source = "# Title\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n"
    assert opening(source, 3) == "# Title\n\nFirst paragraph.\n"
    assert opening(source, 0) == "# Title\n"


def test_the_opening_never_cuts_a_code_block_in_two():
    source = f"# Title\n\n{CODE}\nAfter the code.\n"
    assert opening(source, 3) == f"# Title\n\n{CODE}"


def test_no_opening_when_it_would_be_the_whole_text():
    assert opening("# Title\n\nOnly paragraph.\n", 2) is None
    assert opening("# Title\n\nOnly paragraph.\n\n\n", 2) is None
    assert opening(f"# Title\n\n{CODE}", 3) is None


@pytest.fixture
def rendered(monkeypatch) -> list[str]:
    """The sources the readings render (the real renderer), in order; nothing kept before."""
    sources: list[str] = []
    render = reading_module.render_markdown

    def recorded(source: str, width: int):
        sources.append(source)
        return render(source, width)

    monkeypatch.setattr(reading_module, "render_markdown", recorded)
    RENDERED.clear()
    yield sources
    RENDERED.clear()


async def open_reading(pilot, app: ApilabApp, lesson: str) -> Reading:
    await app.push_screen(LessonScreen(app.course.lesson(lesson)))
    shown = app.screen.query_one("#reading-text", Reading)
    await wait_for(pilot, lambda: shown.rendered_width > 0)
    return shown


async def test_a_long_reading_shows_its_opening_then_the_whole(store, rendered):
    course = load_course(Path(__file__).resolve().parent.parent)  # the real course's readings
    app = ApilabApp(course, store)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        whole = await open_reading(pilot, app, "1")
        assert whole.source.count("\n") > 100, "far longer than the screen, for this test"
        *openings, last = rendered  # an opening for each width the pane had while opening
        assert openings and last == whole.source, "the opening first, then the whole, once"
        assert all(whole.source.startswith(first) and len(first) < len(whole.source)
                   for first in openings)
        assert whole.shown_width == whole.rendered_width


async def test_a_reading_opened_again_at_the_same_width_is_not_rendered_again(
        fixture_course, store, rendered):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        first = await open_reading(pilot, app, "1")
        text, renders = first.plain, len(rendered)
        app.pop_screen()
        await pilot.pause()
        await app.push_screen(LessonScreen(app.course.lesson("1")))
        await pilot.pause()  # laid out and painted once: no render thread to wait for
        again = app.screen.query_one("#reading-text", Reading)
        assert again is not first and again.rendered_width == first.rendered_width
        assert again.plain == text
        assert len(rendered) == renders
