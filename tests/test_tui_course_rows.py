"""The course map's rows, laid out line by line (RowLayout), are drawn exactly as a grid of
rich's draws them (grid_layout): every character in the same style, at every width, wide and
narrow, for titles that fit, wrap, or hold a word longer than the line."""

from __future__ import annotations

import itertools

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.renderables.bar import Bar

from tui.widgets.course_list import Cell, RowLayout, grid_layout

CONSOLE = Console(width=200, color_system="truecolor", force_terminal=True)
TITLES = [
    Text("1. HTTP basics", style="bold"),
    Text("✓ 3. A long exercise title that goes on and on, to wrap several times in the list"),
    Text("· 12. Averyveryverylongwordwithoutanyspaceinitthatnolineholdsinfull", style="bold"),
    Text("x"),
]


def cells(narrow: bool) -> list[list[Cell]]:
    """Rows' numbers as the course map makes them: a lesson's (with a lab's flags and without),
    an exercise's (with a changed task, and with a label longer than its column)."""
    bar = 8 if narrow else 16
    lesson = [Cell(Text("⚑ 1/3 flags", style="yellow"), 13),
              Cell(Bar((0, bar * 0.5), Style(color="green"), Style(color="grey37"), width=bar), bar),
              Cell(Text("  ") if narrow else Text("50%".rjust(5)), 2 if narrow else 8),
              Cell(Text("1/2 passed", style="dim"), None if narrow else 12)]
    exercise = [Cell(Text(" ⚠ task changed", style="red")),
                Cell(Text("12/97"), None if narrow else 8, "left" if narrow else "right"),
                Cell(Text("  changes requested", style="yellow"), 20),
                Cell(Text(" ◀ next", style="bold"), 7)]
    too_long = Cell(Text("  a label too long for its column", style="yellow"), 20)
    return [lesson, lesson[1:], exercise, [*exercise[1:2], too_long, Cell(Text(""), 7)]]


def drawn(renderable: object, width: int) -> list[list[tuple[str, Style | None]]]:
    """Each line as its characters and their styles; a space in no style is a space, and the
    spaces ending a line in no style are left out (the widget pads its lines with them)."""
    lines = []
    for line in CONSOLE.render_lines(renderable, CONSOLE.options.update_width(width), pad=False):
        chars = [(char, segment.style or None) for segment in line if not segment.control
                 for char in segment.text]
        while chars and chars[-1] == (" ", None):
            chars.pop()
        lines.append(chars)
    return lines


@pytest.mark.parametrize("narrow", [False, True], ids=["wide", "narrow"])
def test_a_row_is_drawn_as_a_grid_draws_it(narrow: bool):
    compared = 0
    for numbers, title, width in itertools.product(cells(narrow), TITLES, range(20, 140, 3)):
        expected = drawn(grid_layout(title, numbers, narrow), width)
        assert drawn(RowLayout(title, numbers, narrow), width) == expected, (title.plain, width)
        compared += 1
    assert compared == 4 * 4 * 40


def test_segments_are_what_the_terminal_gets():
    line = CONSOLE.render_lines(RowLayout(TITLES[0], cells(False)[1], False),
                                CONSOLE.options.update_width(60), pad=False)[0]
    assert Segment.get_line_length(line) == 60  # as wide as the grid: title, then its numbers
