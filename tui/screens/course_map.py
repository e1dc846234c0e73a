"""The first screen: every lesson and exercise, the learner's progress, and the next step."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ListView, Static

from apilab.catalog.outline import CourseOutline, ExerciseOutline
from apilab.contracts import TaskChange, task_changes
from apilab.store import ExerciseProgress
from apilab.untrusted import safe_text
from apilab.views.progress import (
    next_exercise,
    review_state,
    score_label,
    standing_text,
    task_change_note,
)
from apilab.workspace import NoWorkspaceError, workspace_root
from tui.screens.base import ApilabScreen
from tui.widgets.course_list import (
    CourseList,
    CourseRow,
    ExerciseItem,
    LessonItem,
    course_items,
)
from tui.widgets.key_footer import KeyFooter
from tui.widgets.sandbox_panel import SandboxPanel
from tui.widgets.title_bar import TitleBar


def how_to_text(lesson_number: int | None, upcoming: ExerciseOutline | None,
                sandbox_running: bool = False) -> Text:
    """The next step, and the commands that do it from a terminal (`apilab sandbox` only when
    the app's own sandbox is not running: a second one would find its port taken)."""
    text = Text()
    if upcoming is None:
        text.append("Every exercise passed. Well done!\n", style="bold green")
        return text.append("Press c for your certificate.\n", style="dim")
    text.append("Next step  ", style="bold").append(f"{upcoming.number}. {upcoming.title}\n",
                                                     style="bold reverse")
    text.append("\nPress n to open it, or from a terminal:\n", style="dim")
    if not sandbox_running:
        text.append("  apilab sandbox\n", style="bold")
    if lesson_number is not None:
        text.append(f"  apilab notebook {lesson_number}\n", style="bold")
    text.append(f"  apilab start {upcoming.slug}\n", style="bold")
    text.append(f"  apilab check {upcoming.slug}\n", style="bold")
    return text


VERDICTS = {"approved": ("✓ approved", "bold green"),
            "changes_requested": ("✎ changes requested", "bold yellow")}


def reviews_text(course: CourseOutline, progress: dict[str, ExerciseProgress]) -> Text | None:
    """The mentors' verdict on each exercise's best run, and the score they set if they
    overrode the grader's; for a best run they have not reviewed, its standing, when they
    reviewed an earlier attempt. None when no exercise has been reviewed."""
    lines = Text()
    for exercise in course.ordered_exercises():
        state = progress.get(exercise.slug)
        review = review_state(state)
        if state is None or (review not in VERDICTS and not state.earlier_verdict):
            continue
        lines.append(f"{exercise.number}. {exercise.title}  ")
        if review not in VERDICTS:
            lines.append(f"{score_label(exercise, state)} {standing_text(state)}\n", style="dim")
            continue
        label, style = VERDICTS[review]
        lines.append(label, style=style)
        if state.score_override is not None:
            lines.append(f"  score set to {state.score_override}/{exercise.max_score}",
                         style="yellow")
        lines.append("\n")
    if not lines:
        return None
    text = Text("Mentor reviews\n", style="bold")
    text.append_text(lines)
    return text.append("Press i to read what they wrote.", style="dim")


def changes_text(course: CourseOutline, changes: dict[str, TaskChange]) -> Text | None:
    """Each started exercise whose task changed since, and how to take the new one; None when
    no task changed."""
    if not changes:
        return None
    text = Text("Task changed\n", style="bold yellow")
    for slug, change in changes.items():
        exercise = course.exercises[slug]
        note = task_change_note(change)
        text.append(f"{exercise.number}. {exercise.title}\n", style="bold")
        text.append(f"{note[0].upper()}{note[1:]}. See what changed: ", style="dim")
        text.append(f"apilab start {slug}", style="bold")
        text.append("; take the new task as yours: ", style="dim")
        text.append(f"apilab start {slug} --accept-task\n", style="bold")
    return text


def current_changes(course: CourseOutline) -> dict[str, TaskChange]:
    """How the tasks the learner started changed since, in the workspace the app works in."""
    try:
        return task_changes(course, workspace_root(course.root))
    except NoWorkspaceError:  # the app opens only in a workspace; it may have been removed since
        return {}


def _next_step_row(items: list[LessonItem | ExerciseItem]) -> int:
    """Where the cursor starts: on the next step, else on the first row."""
    return next((i for i, item in enumerate(items)
                 if isinstance(item, ExerciseItem) and item.is_next), 0)


class CourseMapScreen(ApilabScreen):
    """Lessons in order, each exercise's status and best score, the next step highlighted.

    Progress is read again every few seconds, so runs made from another terminal
    (`apilab check`, `apilab submit`) show up without leaving the screen.
    """

    BINDINGS = [
        Binding("n", "open_next", "Next step"),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("c", "certificate", "Certificate"),
    ]

    def __init__(self, refresh_interval: float = 3.0) -> None:
        super().__init__()
        self.refresh_interval = refresh_interval
        # what the list was last drawn from (`_read`)
        self._shown: tuple[dict[str, ExerciseProgress], list[str], str | None,
                           dict[str, TaskChange]] = ({}, [], None, {})
        self._how_to: tuple[int | None, ExerciseOutline | None] = (None, None)
        self._narrow = False  # the rows were last drawn for a screen under 100 columns

    def compose(self) -> ComposeResult:
        # The rows are composed with the screen, not mounted after it: one layout before the
        # first paint rather than two.
        self._shown = self._read()
        progress, captured, _problem, changes = self._shown
        items = course_items(self.apilab.outline, progress, changes, captured)
        yield TitleBar()
        with Horizontal(id="map-body"):
            yield CourseList(*items, id="course-list", initial_index=_next_step_row(items))
            with Vertical(id="map-side"):
                yield Static(id="store-problem", classes="problem")
                yield SandboxPanel(id="sandbox-panel")
                yield Static(id="changes")
                yield Static(id="how-to")
                # Below the next step, whose commands a short terminal would otherwise not show
                yield Static(id="reviews")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show_side()
        self.apilab.sandbox_changed.subscribe(self, self._show_how_to, immediate=True)
        self.set_interval(self.refresh_interval, self._poll)

    def on_resize(self) -> None:
        # Crossing 100 columns moves each row's numbers beside or under its title.
        narrow = self.has_class("-narrow")
        if narrow != self._narrow:
            self._narrow = narrow
            self.query(CourseRow).refresh(layout=True)

    def on_screen_resume(self) -> None:
        self.reload()

    def _poll(self) -> None:
        if self.is_current:
            self.reload()

    def _read(self) -> tuple[dict[str, ExerciseProgress], list[str], str | None,
                             dict[str, TaskChange]]:
        """What the screen shows: progress, captured flags, the store's problem, task changes."""
        app = self.apilab
        progress = app.safe_store(app.store.progress, default={})
        captured = sorted(app.safe_store(app.store.captured_flags, default={}))
        app.refresh_unread()
        return progress, captured, app.store_problem, current_changes(app.outline)

    def reload(self, force: bool = False) -> None:
        """Read progress again and, when it changed, redraw the rows where they are (the
        course's rows stay the same while the app runs, and so does the cursor)."""
        shown = self._read()
        if shown == self._shown and not force:
            return
        self._shown = shown
        progress, captured, _problem, changes = shown
        fresh = course_items(self.apilab.outline, progress, changes, captured)
        for row, new in zip(self.items, fresh, strict=True):
            row.take(new)  # type: ignore[arg-type]  # of the same kind: the same course
        self._show_side()

    def _show_side(self) -> None:
        """The panes beside the list: the next step, mentor reviews, changed tasks, and why
        progress is not being saved."""
        app = self.apilab
        progress, _captured, problem, changes = self._shown
        upcoming = next_exercise(app.outline, progress)
        lesson_number = (app.outline.lesson(upcoming.lesson).number
                         if upcoming and app.outline.lesson(upcoming.lesson).notebook else None)
        self._how_to = (lesson_number, upcoming)
        self._show_how_to()
        reviews = reviews_text(app.outline, progress)
        self.query_one("#reviews", Static).update(reviews or "")
        self.query_one("#reviews", Static).display = reviews is not None
        changed = changes_text(app.outline, changes)
        self.query_one("#changes", Static).update(changed or "")
        self.query_one("#changes", Static).display = changed is not None
        pane = self.query_one("#store-problem", Static)
        pane.update(safe_text(problem or ""))
        pane.display = bool(problem)

    def _show_how_to(self, _state: object = None) -> None:
        running = self.apilab.sandbox_state.phase in ("starting", "running")
        self.query_one("#how-to", Static).update(how_to_text(*self._how_to, running))

    @property
    def items(self) -> list[LessonItem | ExerciseItem]:
        return list(self.query_one("#course-list", ListView).query("LessonItem, ExerciseItem"))

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        self._open(event.item)

    def action_open_next(self) -> None:
        for item in self.items:
            if isinstance(item, ExerciseItem) and item.is_next:
                self._open(item)
                return
        self.notify("Every exercise is passed. Well done!")

    def action_refresh(self) -> None:
        self.reload(force=True)

    def action_certificate(self) -> None:
        from tui.screens.certificate import CertificateScreen

        self.app.push_screen(CertificateScreen())

    def _open(self, item: object) -> None:
        from tui.screens.exercise import ExerciseScreen
        from tui.screens.lesson import LessonScreen

        # The rows show the course's outline; the screens, the whole course.
        course = self.apilab.course
        if isinstance(item, LessonItem):
            self.app.push_screen(LessonScreen(course.lesson(item.lesson.slug)))
        elif isinstance(item, ExerciseItem):
            self.app.push_screen(ExerciseScreen(course.exercise(item.exercise.slug)))
