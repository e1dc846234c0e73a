"""The footer: `?` first, then the screen's keys in the order it declares them, then the app's;
only whole keys, as many as the width holds."""

from __future__ import annotations

from textual.binding import Binding

from tests.helpers import open_exercise
from tui.app import ApilabApp
from tui.screens.help import HelpScreen
from tui.widgets.key_footer import KeyFooter, fitting


def shown_keys(screen) -> list[Binding]:
    return [binding for binding, _enabled, _tooltip in screen.query_one(KeyFooter).shown]


async def test_at_80_columns_the_exercise_footer_starts_with_help_and_cuts_no_key(fixture_course,
                                                                                   store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.pause()
        keys = shown_keys(screen)
        assert [key.key for key in keys][:7] == ["question_mark", "r", "t", "p", "w", "u", "h"]
        assert max(end for _start, end, _shown in screen.query_one(KeyFooter).spans) <= 80
        assert "y" not in [key.key for key in keys]  # no room: still listed under ?


async def test_at_120_columns_the_exercise_footer_has_every_key(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.pause()
        keys = [key.key for key in shown_keys(screen)]
        assert keys[0] == "question_mark"
        assert {"r", "t", "p", "w", "u", "h", "escape", "y", "q", "i", "s"} <= set(keys)
        assert keys.index("y") < keys.index("q")  # the screen's keys before the app's


def test_a_key_that_does_not_fit_is_skipped_and_a_shorter_one_after_it_is_kept():
    long, short = Binding("a", "a", "A long description"), Binding("b", "b", "B")
    keys = [(long, True, ""), (short, True, "")]
    assert [b.key for b, _, _ in fitting(keys, 10, lambda binding: binding.key)] == ["b"]
    assert [b.key for b, _, _ in fitting(keys, 25, lambda binding: binding.key)] == ["a", "b"]


async def test_a_click_on_a_key_in_the_footer_presses_it(fixture_course, store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.pause()
        footer = screen.query_one(KeyFooter)
        start, end, (binding, _enabled, _tooltip) = footer.spans[0]
        assert binding.key == "question_mark" and end > start
        await pilot.click(KeyFooter, offset=(start, 0))
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
