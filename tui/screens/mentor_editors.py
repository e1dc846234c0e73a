"""The mentor's forms, as modals that return what was written through dismiss():
FeedbackEditor -> FeedbackDraft (Markdown on the submission or one check), ReviewModal ->
ReviewDraft (a verdict, maybe a score override with its reason). None means cancelled.
ConfirmModal asks a yes-or-no question (True or False)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static, TextArea

from apilab.untrusted import clean, safe_text

WHOLE = "(whole submission)"  # the target value for a note on the submission as a whole
VERDICTS = {"approved": "Approve", "changes_requested": "Request changes"}


@dataclass(frozen=True)
class FeedbackDraft:
    body: str  # Markdown
    check_id: str | None  # None: about the whole submission


@dataclass(frozen=True)
class ReviewDraft:
    verdict: str  # "approved" | "changes_requested"
    score_override: int | None
    reason: str | None
    body: str = ""


def validate_review(verdict: str, override: str, reason: str, max_score: int,
                    body: str = "") -> ReviewDraft | dict[str, str]:
    """The draft, or {field: what is wrong} for the form to show beside each field."""
    errors: dict[str, str] = {}
    if verdict not in VERDICTS:
        errors["verdict"] = "Choose approve or request changes."
    score: int | None = None
    if override.strip():
        try:
            score = int(override.strip())
        except ValueError:
            errors["override"] = f"The score must be a whole number from 0 to {max_score}."
        else:
            if not 0 <= score <= max_score:
                errors["override"] = f"The score must be between 0 and {max_score}."
        if not reason.strip():
            errors["reason"] = "Say why you override the score: the learner reads it."
    if verdict == "changes_requested" and not body.strip():
        errors["body"] = "Say which changes: the learner reads this to know what to do."
    if errors:
        return errors
    # without an override a reason has nothing to explain, so it is not sent
    return ReviewDraft(verdict, score, reason.strip() if score is not None else None, body.strip())


class FeedbackEditor(ModalScreen[FeedbackDraft | None]):
    """A Markdown note for the learner, on the whole submission or on one check."""

    BINDINGS = [
        Binding("ctrl+s", "send", "Send"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, heading: str, checks: list[tuple[str, str]],
                 check_id: str | None = None) -> None:
        super().__init__()
        self.heading, self.checks, self.check_id = heading, checks, check_id

    def compose(self) -> ComposeResult:
        targets = [(safe_text("Whole submission"), WHOLE),
                   *((safe_text(f"Check: {title}"), cid) for cid, title in self.checks)]
        with Vertical(id="editor-box", classes="mentor-form"):
            yield Static(safe_text(self.heading, style="bold"), classes="form-title")
            yield Select(targets, allow_blank=False, value=self.check_id or WHOLE,
                         id="feedback-target")
            yield TextArea(id="feedback-body", soft_wrap=True, placeholder="Markdown…")
            yield Static(id="feedback-error", classes="form-error")
            yield Static("Markdown · ctrl+s sends · esc cancels", classes="form-hint")

    def on_mount(self) -> None:
        self.query_one("#feedback-body", TextArea).focus()

    def action_send(self) -> None:
        body = self.query_one("#feedback-body", TextArea).text.strip()
        if not body:
            self.query_one("#feedback-error", Static).update("Write something first.")
            return
        target = self.query_one("#feedback-target", Select).value
        self.dismiss(FeedbackDraft(body, None if target == WHOLE else str(target)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReviewModal(ModalScreen[ReviewDraft | None]):
    """Approve or request changes; optionally replace the grader's score, with a reason."""

    BINDINGS = [
        Binding("ctrl+s", "send", "Send"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, heading: str, verdict: str, score: int, max_score: int) -> None:
        super().__init__()
        self.heading, self.verdict = heading, verdict
        self.score, self.max_score = score, max_score

    def compose(self) -> ComposeResult:
        with Vertical(id="review-box", classes="mentor-form"):
            yield Static(safe_text(self.heading, style="bold"), classes="form-title")
            with RadioSet(id="review-verdict"):
                for verdict, label in VERDICTS.items():
                    yield RadioButton(label, value=verdict == self.verdict, id=f"verdict-{verdict}")
            yield Static(id="error-verdict", classes="form-error")
            with Horizontal(classes="form-row"):
                yield Label(safe_text(f"Score (grader: {self.score}/{self.max_score})"),
                            classes="form-label")
                yield Input(placeholder=clean(f"keep {self.score}"), type="integer",
                            id="review-override")
            yield Static(id="error-override", classes="form-error")
            with Horizontal(classes="form-row"):
                yield Label("Reason", classes="form-label")
                yield Input(placeholder="required when you change the score", id="review-reason")
            yield Static(id="error-reason", classes="form-error")
            yield TextArea(id="review-body", soft_wrap=True,
                           placeholder="A comment, in Markdown (required to request changes)…")
            yield Static(id="error-body", classes="form-error")
            yield Static("ctrl+s sends · esc cancels · tab moves between fields",
                         classes="form-hint")

    def on_mount(self) -> None:
        self.query_one(RadioSet).focus()

    @property
    def chosen_verdict(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.id.removeprefix("verdict-") if pressed and pressed.id else ""

    def action_send(self) -> None:
        outcome = validate_review(
            self.chosen_verdict, self.query_one("#review-override", Input).value,
            self.query_one("#review-reason", Input).value, self.max_score,
            self.query_one("#review-body", TextArea).text)
        for field in ("verdict", "override", "reason", "body"):
            message = outcome.get(field, "") if isinstance(outcome, dict) else ""
            self.query_one(f"#error-{field}", Static).update(safe_text(message))
        if isinstance(outcome, ReviewDraft):
            self.dismiss(outcome)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_send()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """A question with two answers: y (or the first button) is True, n or esc is False.
    `question` is Rich Text, so what it quotes is shown as it is, never read as markup."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No"),
    ]

    def __init__(self, question: Text, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="mentor-form"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(classes="form-row"):
                yield Button(safe_text(f"{self.yes} (y)"), variant="warning", id="confirm-yes")
                yield Button(safe_text(f"{self.no} (n)"), id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
