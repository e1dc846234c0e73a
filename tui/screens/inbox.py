"""Mentor feedback: newest first, unread marked; each note opens beside the run it is about."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label, ListItem, ListView, Static

from apilab.store import Feedback
from apilab.untrusted import clean
from apilab.views.markdown import preview
from apilab.views.times import when
from tui.screens.base import ApilabScreen
from tui.screens.report import verdict_label
from tui.widgets.key_footer import KeyFooter
from tui.widgets.title_bar import TitleBar

PREVIEW_WIDTH = 90  # characters of a note's first paragraph shown in the list


class FeedbackItem(ListItem):
    def __init__(self, note: Feedback) -> None:
        super().__init__(classes="-unread" if not note.read else "-read")
        self.note = note

    def compose(self) -> ComposeResult:
        yield Label(note_summary(self.note))


def note_summary(note: Feedback) -> Text:
    """Two lines for the inbox: what the note is about and who wrote it when, then the start
    of what it says, as plain text (its Markdown marks gone)."""
    text = Text()
    text.append("● " if not note.read else "  ", style="bold cyan")
    text.append(clean(note.exercise), style="bold")
    if note.check_id:
        text.append(clean(f" · {note.check_id}"))
    if note.verdict:
        text.append(f" · {verdict_label(note.verdict)}", style="yellow")
    override = note.score_override
    if override is not None:
        text.append(f" · score set to {override}", style="yellow")
    text.append(clean(f"  {note.author}, {when(note.created_at)}") + "\n", style="dim")
    # a review may come without a comment: then its reason says what it is about
    first = preview(clean(note.body), PREVIEW_WIDTH) or clean(note.reason or "")[:PREVIEW_WIDTH]
    return text.append(f"  {first}")


class InboxScreen(ApilabScreen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("enter", "open_note", "Open")]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(id="inbox-summary")
        yield ListView(id="inbox")
        yield KeyFooter()

    async def on_mount(self) -> None:
        self.title = "Feedback from your mentors"
        await self.reload()

    async def on_screen_resume(self) -> None:
        await self.reload()

    async def reload(self) -> None:
        app = self.apilab
        notes = app.safe_store(app.store.feedback, default=[])
        listing = self.query_one("#inbox", ListView)
        index = listing.index
        await listing.clear()
        await listing.extend(FeedbackItem(note) for note in notes)
        if notes:
            listing.index = min(index or 0, len(notes) - 1)
        app.refresh_unread()
        if notes:
            summary = (f"{len(notes)} note{'s' * (len(notes) != 1)}, {app.unread} unread. "
                       "Enter opens a note beside its report.")
        elif app.hub is None:
            summary = ("No feedback yet. To get your mentors' feedback here, join your cohort's "
                       "hub: apilab login HUB_URL --token TOKEN, then submit with t.")
        else:
            summary = "No feedback yet. When a mentor reviews one of your submissions, it shows up here."
        self.query_one("#inbox-summary", Static).update(Text(summary, style="dim"))
        listing.focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        if isinstance(event.item, FeedbackItem):
            self.open_note(event.item.note)

    def action_open_note(self) -> None:
        item = self.query_one("#inbox", ListView).highlighted_child
        if isinstance(item, FeedbackItem):
            self.open_note(item.note)

    def open_note(self, note: Feedback) -> None:
        from tui.screens.report import ReportScreen

        app = self.apilab
        report = app.safe_store(app.store.report, note.run_id, default=None)
        if report is None:
            return
        if not note.read:
            app.safe_store(app.store.mark_read, note.id, default=None)
            app.refresh_unread()
        self.app.push_screen(ReportScreen(report, note.run_id, feedback=note))
