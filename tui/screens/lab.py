"""The security lab: switch the vulnerable sandbox on and off, see which challenges are
captured, and submit a flag the lab revealed (the same check as `apilab flag`)."""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from apilab import paths
from apilab.browser import open_in_browser
from apilab.flags import LAB, capture, challenge_of
from apilab.sandbox_control import SandboxState
from apilab.untrusted import clean, safe_text
from sandbox_api.lab_flags import CHALLENGES
from tui.screens.base import ApilabScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.title_bar import TitleBar

WARNING = ("This lab is vulnerable on purpose: with it on, the sandbox answers exploits with "
           "secrets. It listens on 127.0.0.1 only, so no other machine reaches it; switch it off "
           "when you are done.")

WRONG_FLAG = ("That is not a flag of this installation's lab. Flags differ from one installation "
              "to the next: copy it from an answer of your own lab, the whole of it, "
              "apilab{...} included.")


def lab_is_on(state: SandboxState) -> bool:
    return state.phase == "running" and LAB in state.labs


def lab_state_text(state: SandboxState) -> Text:
    """Whether the lab runs, where, and the key that switches it."""
    text = Text()
    text.append("Security lab  ", style="bold")
    if lab_is_on(state):
        text.append("● on", style="bold yellow").append(clean(f" at {state.url}   "))
        text.append("l", style="bold").append(" switches it off\n")
        text.append(clean(f"   docs: {state.url}/docs · GET /lab/challenges lists them"),
                    style="dim")
    elif state.phase == "starting":
        text.append("starting…", style="dim")
    else:
        text.append("○ off", style="bold")
        if state.phase == "failed":
            text.append(" (the sandbox could not start)", style="red")
        text.append("\n")
        text.append("l", style="bold").append(" switches it on (the app's sandbox restarts with "
                                              "it, on the same address)")
    return text


def challenges_text(captured: Collection[str]) -> Text:
    """The lab's challenges, one line each: category, id, what to do, captured or not."""
    text = Text()
    for challenge in CHALLENGES:
        mark, style = ("⚑", "green") if challenge.id in captured else ("·", "dim")
        text.append(f"{mark} {challenge.category:<5} ", style=style)
        text.append(f"{challenge.id:<16}", style="bold" if challenge.id in captured else "")
        text.append(challenge.title + "\n")
    text.rstrip()
    return text


class LabScreen(ApilabScreen):
    """The lab's state and switch, its challenges, and the flag input."""

    AUTO_FOCUS = None  # the keys below act at once; f moves to the flag input
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("l", "switch_lab", "Lab on/off"),
        Binding("d", "open_docs", "API docs"),
        Binding("f", "enter_flag", "Submit a flag"),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="lab-body"):
            yield Static(Text(WARNING), id="lab-warning")
            yield Static(id="lab-state")
            yield Static(id="lab-challenges")
            yield Input(placeholder="f, then paste a flag: apilab{…} and press Enter",
                        id="flag-input")
            yield Static(id="flag-message", classes="message")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Security lab"
        self.query_one("#flag-message").display = False
        self._show_state(self.apilab.sandbox_state)
        self.apilab.sandbox_changed.subscribe(self, self._show_state, immediate=True)
        self.show_captures()

    def on_screen_resume(self) -> None:
        self.show_captures()

    def on_unmount(self) -> None:
        self.apilab.sandbox_changed.unsubscribe(self)

    def _show_state(self, state: SandboxState) -> None:
        self.query_one("#lab-state", Static).update(lab_state_text(state))

    def show_captures(self) -> None:
        app = self.apilab
        captured = app.safe_store(app.store.captured_flags, default={})
        challenges = self.query_one("#lab-challenges", Static)
        challenges.update(challenges_text(captured))
        count = sum(1 for challenge in CHALLENGES if challenge.id in captured)
        challenges.border_title = Text(f"Challenges: {count} of {len(CHALLENGES)} flags captured")

    def say(self, message: str, severity: str = "information") -> None:
        panel = self.query_one("#flag-message", Static)
        panel.update(safe_text(message))
        panel.set_classes(f"message -{severity}")
        panel.display = True
        panel.scroll_visible()

    # --- actions --------------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.focused is self.query_one("#flag-input"):
            self.set_focus(None)  # escape leaves the input first, then the screen
            return
        self.app.pop_screen()

    def action_switch_lab(self) -> None:
        app = self.apilab
        if app.sandbox_state.phase == "starting":
            self.notify("The sandbox is starting; wait a moment.")
            return
        app.switch_labs(() if lab_is_on(app.sandbox_state) else (LAB,))  # the state line follows

    def action_open_docs(self) -> None:
        state = self.apilab.sandbox_state
        if not lab_is_on(state):
            self.say("The lab is off: press l to switch it on, then d opens its docs.", "warning")
            return
        url = f"{state.url}/docs"
        if not open_in_browser(url):
            self.say(f"No browser available here. Open {url} yourself.")

    def action_enter_flag(self) -> None:
        self.query_one("#flag-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        entered = event.value.strip()
        if not entered:
            return
        self.submit_flag(entered)

    def submit_flag(self, flag: str) -> None:
        """Check `flag` against this installation's challenges and record it, as `apilab flag`
        does; say plainly what happened."""
        app, home = self.apilab, paths.data_home()
        try:
            challenge = challenge_of(home, flag)
        except ValueError as exc:  # a damaged secret file: the message says what to do
            self.say(str(exc), "error")
            return
        if challenge is None:
            self.say(WRONG_FLAG, "warning")
            return
        result = app.safe_store(capture, app.store, home, challenge.id, flag, default=None)
        if result is None:  # the store said why, once
            return
        self.query_one("#flag-input", Input).clear()
        again = "" if result.new else " (captured before)"
        self.say(f"Captured {challenge.id} ({challenge.category}, {challenge.title}){again}.")
        self.show_captures()
        if result.new and app.hub is not None:
            app.sync_with_hub()  # mentors see captures as they see submissions
