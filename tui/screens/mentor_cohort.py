"""How the whole cohort does on one exercise: every check's pass rate over each learner's
latest submission, and the checks that fail most."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Select, Static

from apilab.untrusted import safe_text
from hub.protocol import CohortStats
from tui.screens.mentor_base import MentorScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.mentor_cohort_table import CheckRates, most_failing_text
from tui.widgets.title_bar import TitleBar


class CohortScreen(MentorScreen):
    """Pick an exercise (the course's, and any seen in the queue); its numbers load from the hub."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "choose_exercise", "Exercise"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self, exercise: str | None, seen: list[str]) -> None:
        super().__init__()
        self.first_choice = exercise
        self.seen = seen
        self.stats: CohortStats | None = None
        self._asked: str | None = None  # the exercise of the last request

    @property
    def exercises(self) -> list[str]:
        course = self.mentor.course
        known = [e.slug for e in course.ordered_exercises()] if course else []
        extra = [slug for slug in [*self.seen, self.first_choice or ""] if slug]
        return list(dict.fromkeys([*known, *extra]))

    def compose(self) -> ComposeResult:
        exercises = self.exercises
        chosen = self.first_choice or (exercises[0] if exercises else None)
        yield TitleBar()
        with Horizontal(id="cohort-bar"):
            yield Label("Exercise", id="cohort-label")
            yield Select([(safe_text(slug), slug) for slug in exercises], id="cohort-exercise",
                         prompt="choose an exercise", value=chosen or Select.NULL)
            yield Static(id="cohort-summary")
        with Horizontal(id="cohort-body"):
            yield CheckRates(id="cohort-checks")
            with VerticalScroll(id="cohort-failing-pane"):
                yield Static(id="cohort-failing")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Cohort"
        self.query_one("#cohort-failing-pane").border_title = "Most failing"
        self.query_one("#cohort-checks").border_title = "Pass rate per check"
        self.query_one(CheckRates).focus()
        self.reload()

    @property
    def exercise(self) -> str | None:
        value = self.query_one("#cohort-exercise", Select).value
        return None if value is Select.NULL else str(value)

    def reload(self, force: bool = True) -> None:
        """Ask the hub for the chosen exercise's numbers; unless `force`, only if the choice
        changed since the last request."""
        exercise = self.exercise
        if not force and exercise == self._asked:
            return
        self._asked = exercise
        if exercise is None:
            self._summary("No exercise to show: none in the course, none in the queue.")
            return
        self._summary(f"Loading {exercise}…")
        self.call_hub(lambda: self.mentor.client.cohort_stats(exercise), self._show,
                      f"loading the cohort for {exercise}", group="cohort")

    def _show(self, stats: CohortStats) -> None:
        self.stats = stats
        self.query_one(CheckRates).show(stats)
        self.query_one("#cohort-failing", Static).update(most_failing_text(stats))
        learners = stats.learners
        self._summary(f"{learners} learner{'' if learners == 1 else 's'}, each counted once by "
                      "their latest submission")

    def _summary(self, message: str, problem: bool = False) -> None:
        summary = self.query_one("#cohort-summary", Static)
        summary.update(safe_text(message))
        summary.set_class(problem, "-problem")

    def show_problem(self, message: str) -> None:
        self._summary(message, problem=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        self.reload(force=False)  # a Select announces its first value too: not a change
        self.query_one(CheckRates).focus()

    def action_choose_exercise(self) -> None:
        self.query_one("#cohort-exercise", Select).focus()
        self.query_one("#cohort-exercise", Select).action_show_overlay()

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
