"""The learner's certificate of completion: what is still missing to earn it, or, once the
course is done, the certificate itself (its text) and where its signed .json and printable
.html were written.

With a hub, the hub decides (a mentor approved every exercise) and signs; g asks it, since
each ask issues a new certificate. Without one, it comes from this machine's runs, under the
name the learner types, unsigned. Everything shown came from a hub or the learner: plain text.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from apilab.certificate.issue import (
    NameNeeded,
    NotYet,
    Saved,
    alone,
    from_hub,
    missing_alone_in,
    save,
)
from apilab.hubclient import HubError
from apilab.paths import data_home
from apilab.settings import HubLogin
from apilab.store import StoreError
from apilab.untrusted import safe_text
from apilab.views.certificate import certificate_as_text, saved_line
from apilab.workspace import NoWorkspaceError, workspace_root
from tui.screens.base import ApilabScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.title_bar import TitleBar


def certificate_folder(course_root: Path) -> Path:
    """Where the app writes certificates: the learner's workspace, else APILAB_HOME."""
    try:
        return workspace_root(course_root)
    except NoWorkspaceError:
        return data_home() / "certificates"


class CertificateScreen(ApilabScreen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("g", "get", "Get it")]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(id="certificate-status")
        yield Input(placeholder="the name to put on your certificate", id="certificate-name")
        with VerticalScroll(id="certificate-body"):
            yield Static(id="certificate-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Certificate of completion"
        self.hub = self.apilab.hub  # read once: the screen says whose certificate it asks for
        name = self.query_one("#certificate-name", Input)
        name.display = False  # until it is wanted: hidden, it takes no keys
        self.query_one("#certificate-body").focus()
        if self.hub is not None:
            self._status(f"Your hub at {self.hub.url} issues and signs it once a mentor has "
                         "approved every exercise. Press g to ask for it.")
            return
        app = self.apilab
        missing = app.safe_store(missing_alone_in, app.course, app.store, default=None)
        if missing:
            self._status(NotYet(missing, by_hub=False).advice(), problem=True)
            return
        self._status("Every exercise passed. Type the name to put on your certificate and press "
                     "Enter. No hub vouches for a course taken alone, so it is not signed.")
        name.display = True
        name.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_get()

    def action_get(self) -> None:
        if self.hub is not None:
            self._status("Asking your hub…")
            self._from_hub(self.hub, certificate_folder(self.apilab.course.root))
            return
        app = self.apilab
        try:
            text = alone(app.course, app.store, self.query_one("#certificate-name", Input).value)
        except NotYet as exc:
            self._status(exc.advice(), problem=True)
            return
        except NameNeeded:
            self._status("Type the name to put on your certificate, then press Enter.",
                         problem=True)
            return
        except StoreError as exc:
            app.store_failed(str(exc))
            return
        self._save(text, certificate_folder(app.course.root))

    @work(thread=True, exclusive=True, group="certificate")
    def _from_hub(self, login: HubLogin, folder: Path) -> None:
        try:
            text = from_hub(login)
        except NotYet as exc:
            self.app.call_from_thread(self._status, exc.advice(), True)
            return
        except HubError as exc:
            self.app.call_from_thread(
                self._status, f"{exc} (without the hub: apilab certificate --alone --name NAME)",
                True)
            return
        self.app.call_from_thread(self._save, text, folder)

    def _save(self, text: str, folder: Path) -> None:
        try:
            saved = save(text, folder)
        except OSError as exc:
            self._status(f"Cannot write the certificate to {folder}: {exc.strerror or exc}. "
                         "Get it from a terminal: apilab certificate --out FOLDER", problem=True)
            return
        except ValueError as exc:  # a hub of another version, or a broken one
            self._status(f"The hub's answer is not a certificate this apilab can read ({exc}).",
                         problem=True)
            return
        self._show(saved)

    def _show(self, saved: Saved) -> None:
        self.query_one("#certificate-name", Input).display = False
        self._status(saved_line(saved) + " Check it: apilab certificate verify FILE")
        self.query_one("#certificate-text", Static).update(
            safe_text(certificate_as_text(saved.certificate)))
        self.query_one("#certificate-body").focus()

    def _status(self, message: str, problem: bool = False) -> None:
        status = self.query_one("#certificate-status", Static)
        status.update(safe_text(message, style="" if problem else "dim"))
        status.set_class(problem, "-problem")

    def action_back(self) -> None:
        self.app.pop_screen()

