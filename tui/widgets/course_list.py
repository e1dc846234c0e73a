"""The course map's list: each lesson with a progress bar, then its exercises and their status.

Each row is one widget that draws itself (its title, wrapping, with its numbers at the right;
when the screen is narrow, the numbers under the title): a row made of a dozen widgets, each
styled by Textual's CSS, made the course map the slowest part of the app's start.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from rich.console import Console, ConsoleOptions, JustifyMethod, RenderableType, RenderResult
from rich.padding import Padding
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.renderables.bar import Bar
from textual.widgets import ListItem, ListView

from apilab.catalog.outline import CourseOutline, ExerciseOutline, LessonOutline
from apilab.store import ExerciseProgress
from apilab.untrusted import safe_text
from apilab.views.progress import (
    MARKS,
    STATUS_WORDS,
    lab_flags,
    next_exercise,
    review_state,
    score_label,
)

# Where the best run stands with the mentors, when it is a submission, says more than the
# grader's status (the mark and the score still say that); short, to fit the column.
REVIEW_LABELS = {"approved": "approved ✓", "changes_requested": "changes requested",
                 "not_reviewed": "in review", "not_sent": "not sent"}


class Cell(NamedTuple):
    """One of a row's numbers: what it shows, the columns it takes (None: as many as it needs)
    and how it sits in them."""

    content: RenderableType
    width: int | None = None
    justify: JustifyMethod = "left"

    @property
    def plain(self) -> str:
        return self.content.plain if isinstance(self.content, Text) else ""


class RowLayout:
    """A title that wraps, never cut, and its numbers: at its right, on its first line; when
    `narrow`, on a line of their own under it, indented. Laid out line by line for the width
    it is drawn in, exactly as a grid of rich's lays it out (tests/test_tui_course_rows.py
    holds it to `grid_layout`), at a fraction of the cost: drawn as grids, the rows took about
    a seventh of the time from the app's construction to the course map painted."""

    def __init__(self, title: Text, cells: list[Cell], narrow: bool) -> None:
        self.title, self.cells, self.narrow = title, cells, narrow

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        numbers = Text().join(_cell_text(cell, console, options) for cell in self.cells)
        if numbers.cell_len + (2 if self.narrow else 1) > width:  # squeezed: let a grid share it
            yield grid_layout(self.title, self.cells, self.narrow)
            return
        # Every line is as wide as a grid's, its cells padded as a grid pads them: the title in
        # its own style to the width of its column, the rest with plain spaces.
        if self.narrow:
            column = min(max(self.title.cell_len, 2 + numbers.cell_len), width)
            lines = [*self.title.wrap(console, column, justify="left", overflow="ellipsis"),
                     Text("  ").append_text(numbers)]
            lines[-1].append(" " * (column - lines[-1].cell_len))
        else:
            room, blank = width - numbers.cell_len, Text(" " * numbers.cell_len)
            wrapped = self.title.wrap(console, room, justify="left", overflow="fold")
            lines = [Text().append_text(line).append_text(numbers if at == 0 else blank)
                     for at, line in enumerate(wrapped)]
        yield from Text("\n").join(lines).render(console, end="\n")


def grid_layout(title: Text, cells: list[Cell], narrow: bool) -> Table:
    """The row as a grid of rich's: what RowLayout draws (tests compare them), and what it falls
    back on when the width is too small for the numbers, which a grid shares out."""
    numbers = Table.grid(expand=not narrow)
    if not narrow:
        numbers.add_column(ratio=1, overflow="fold")
    for cell in cells:
        numbers.add_column(width=cell.width, justify=cell.justify, no_wrap=True)
    contents = [cell.content for cell in cells]
    if narrow:
        numbers.add_row(*contents)
        stacked = Table.grid()
        stacked.add_row(title)
        stacked.add_row(Padding(numbers, (0, 0, 0, 2)))
        return stacked
    numbers.add_row(title, *contents)
    return numbers


def _cell_text(cell: Cell, console: Console, options: ConsoleOptions) -> Text:
    """A cell on one line, cut (with an ellipsis) or padded to its width, as it sits in it."""
    content = cell.content
    if isinstance(content, Text):
        text = content.copy()
    else:  # a progress bar: its one line, as text
        line = console.render_lines(content, options.update_width(cell.width or options.max_width),
                                    pad=False)[0]
        text = Text.assemble(*((segment.text, segment.style) for segment in line))
    width = text.cell_len if cell.width is None else cell.width
    text.truncate(width, overflow="ellipsis")
    text.align(cell.justify if cell.justify in ("left", "center", "right") else "left", width)
    return text


class CourseRow(ListItem):
    """A row of the course map, drawn in the list's colours (its component classes)."""

    def style_of(self, part: str) -> Style:
        return self.parent.get_component_rich_style(f"course-list--{part}") if isinstance(
            self.parent, CourseList) else Style()

    def title(self) -> Text:
        raise NotImplementedError

    def cells(self, narrow: bool = False) -> list[Cell]:
        """The row's numbers, as the screen shows them (`narrow`: under 100 columns)."""
        raise NotImplementedError

    def render(self) -> RenderableType:
        narrow = self.screen.has_class("-narrow")
        return RowLayout(self.title(), self.cells(narrow), narrow)


class LessonItem(CourseRow):
    def __init__(self, lesson: LessonOutline, passed: int, total: int,
                 flags: tuple[int, int] | None = None) -> None:
        super().__init__(classes="lesson")
        self.lesson = lesson
        self.passed, self.total = passed, total
        self.flags = flags  # (captured, challenges) for a lesson with a lab

    def take(self, row: LessonItem) -> None:
        """Show what `row`, built for the same lesson from newer progress, shows."""
        self.passed, self.total, self.flags = row.passed, row.total, row.flags
        self.refresh(layout=True)

    def title(self) -> Text:
        return safe_text(f"{self.lesson.number}. {self.lesson.title}", style="bold")

    def cells(self, narrow: bool = False) -> list[Cell]:
        # Narrow, the bar drops its percentage (the count beside it says as much), so that a
        # lesson with a lab keeps its flags, its bar and its count on one line.
        cells = []
        if self.flags is not None:
            cells.append(Cell(safe_text(f"⚑ {self.flags[0]}/{self.flags[1]} flags",
                                        style=self.style_of("flags")), 13))
        done = self.passed / max(self.total, 1)
        bar_width = 8 if narrow else 16
        colours = self.style_of("bar-complete" if done >= 1 else "bar")
        cells.append(Cell(Bar((0, bar_width * done), Style.from_color(colours.color),
                              Style.from_color(colours.bgcolor), width=bar_width), bar_width))
        cells.append(Cell(Text("  ") if narrow else Text(f"{round(done * 100)}%".rjust(5)),
                          2 if narrow else 8))
        cells.append(Cell(safe_text(f"{self.passed}/{self.total} passed",
                                    style=self.style_of("muted")), None if narrow else 12))
        return cells


class ExerciseItem(CourseRow):
    def __init__(self, exercise: ExerciseOutline, progress: ExerciseProgress, is_next: bool,
                 task_changed: bool = False) -> None:
        classes = f"exercise -{progress.status}" + (" -next" if is_next else "")
        super().__init__(classes=classes)
        self.exercise = exercise
        self.progress = progress
        self.is_next = is_next
        self.task_changed = task_changed  # since the learner started it (apilab.contracts)

    @property
    def status(self) -> str:
        return self.progress.status

    def take(self, row: ExerciseItem) -> None:
        """Show what `row`, built for the same exercise from newer progress, shows."""
        self.remove_class(f"-{self.status}")
        self.progress, self.is_next, self.task_changed = row.progress, row.is_next, row.task_changed
        self.add_class(f"-{self.status}")
        self.set_class(self.is_next, "-next")
        self.refresh(layout=True)

    def title(self) -> Text:
        exercise, state = self.exercise, self.progress
        return safe_text(f"{MARKS[state.status]} {exercise.number}. {exercise.title}",
                         style="bold" if self.is_next else "")

    def cells(self, narrow: bool = False) -> list[Cell]:
        exercise, state = self.exercise, self.progress
        label = REVIEW_LABELS.get(review_state(state) or "", STATUS_WORDS[state.status])
        cells = []
        if self.task_changed:
            cells.append(Cell(Text(" ⚠ task changed", style=self.style_of("changed"))))
        cells.append(Cell(Text(score_label(exercise, state)), None if narrow else 8,
                          "left" if narrow else "right"))
        cells.append(Cell(Text(f"  {label}", style=self.style_of(state.status)), 20))
        cells.append(Cell(Text(" ◀ next" if self.is_next else "", style=self.style_of("next")),
                          7))
        return cells


def course_items(course: CourseOutline, progress: dict[str, ExerciseProgress],
                 changed: Collection[str] = (), captured: Collection[str] = (),
                 ) -> list[LessonItem | ExerciseItem]:
    """The rows of the course map, in course order; `changed` names the exercises whose task
    changed since the learner started them; `captured`, the lab challenges whose flags the
    learner has captured."""
    upcoming = next_exercise(course, progress)
    items: list[LessonItem | ExerciseItem] = []
    for lesson in course.lessons:
        exercises = course.exercises_of(lesson)
        states = [progress.get(e.slug, ExerciseProgress.not_started(e.max_score))
                  for e in exercises]
        flags = lab_flags(lesson, captured)
        items.append(LessonItem(lesson, sum(s.status == "passed" for s in states), len(exercises), flags))
        for exercise, state in zip(exercises, states, strict=True):
            is_next = upcoming is not None and exercise.slug == upcoming.slug
            items.append(ExerciseItem(exercise, state, is_next, exercise.slug in changed))
    return items


class CourseList(ListView):
    """The list of lessons and exercises; Enter (or a click) opens the highlighted row."""

    BINDINGS = [Binding("enter", "select_cursor", "Open")]
    # The colours rows draw in, from the theme (tui/apilab.tcss).
    COMPONENT_CLASSES = {"course-list--bar", "course-list--bar-complete", "course-list--muted",
                         "course-list--flags", "course-list--passed", "course-list--failing",
                         "course-list--not_started", "course-list--next",
                         "course-list--changed"}
