"""The footer: `?` first, then the screen's keys in the order it declares them, then the app's;
only whole keys, as many as the width holds."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets._footer import FooterKey

from tests.helpers import open_exercise
from tui.app import ApilabApp
from tui.widgets.key_footer import KeyFooter, fitting


def shown_keys(screen) -> list[FooterKey]:
    return list(screen.query_one(KeyFooter).query(FooterKey))


async def test_at_80_columns_the_exercise_footer_starts_with_help_and_cuts_no_key(fixture_course,
                                                                                   store):
    app = ApilabApp(fixture_course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_exercise(pilot, app)
        await pilot.pause()
        keys = shown_keys(screen)
        assert [key.key for key in keys][:7] == ["question_mark", "r", "t", "p", "w", "u", "h"]
        assert all(key.region.right <= 80 and key.size.width > 0 for key in keys)
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
