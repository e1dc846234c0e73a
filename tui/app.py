"""The terminal app: wiring only. Screens live in tui/screens, widgets in tui/widgets."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal

from apilab import paths
from apilab.catalog.cache import KeptCourse
from apilab.ports import SERVER_PORT
from apilab.processes import Processes
from apilab.sandbox_control import SandboxControl, SandboxState
from apilab.sandbox_process import SandboxProcess
from apilab.settings import HubLogin, SettingsError, load_hub, save_server_url
from apilab.store import Store, StoreError
from tui.plain import PlainTextApp

if TYPE_CHECKING:
    from apilab.catalog.models import Course
    from apilab.catalog.outline import CourseOutline
    from apilab.grading_process import GradingProcess
    from apilab.jupyter import JupyterServer

T = TypeVar("T")
# What opening a lesson or an exercise needs besides the whole course: loaded in a thread once
# the course map is painted, rather than at the learner's first Enter (over a second of imports).
LOADED_AHEAD = ("tui.screens.lesson", "tui.screens.exercise", "rich.markdown", "sqlite_utils")
# The other screens' styles (tui/apilab.tcss styles the course map): read once it is painted.
SCREENS_CSS = Path(__file__).with_name("screens.tcss")


def _joined_hub() -> HubLogin | None:
    try:
        return load_hub()
    except SettingsError:
        return None  # `apilab sync` explains a damaged settings file; the app works without it
DEFAULT_SERVER_URL = f"http://127.0.0.1:{SERVER_PORT}"


class ApilabApp(PlainTextApp):
    """The course, the grader and the learner's progress, in one terminal window."""

    CSS_PATH = "apilab.tcss"
    TITLE = "apilab"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        # Learners press Ctrl-C to leave a terminal program; in a text field it still copies.
        Binding("ctrl+c", "quit", "Quit", show=False),
        Binding("question_mark", "help", "Keys", key_display="?"),
        Binding("i", "inbox", "Inbox"),
        Binding("s", "toggle_sandbox", "Sandbox"),
    ]

    sandbox_state: reactive[SandboxState] = reactive(SandboxState, init=False)
    unread: reactive[int] = reactive(0, init=False)

    def __init__(self, course: Course | KeptCourse, store: Store, sandbox: SandboxProcess | None = None, *,
                 start_sandbox: bool = False, server_url: str = DEFAULT_SERVER_URL,
                 processes: Processes | None = None, health_interval: float = 5.0,
                 progress_interval: float = 3.0,
                 sandbox_fallback: bool = True, store_problem: str | None = None,
                 notices: Sequence[str] = ()) -> None:
        super().__init__()
        self._course = course if isinstance(course, KeptCourse) else KeptCourse.of(course)
        self.store = store
        self.server_url = server_url
        self.processes = processes or Processes()
        self.sandbox_control = SandboxControl(
            sandbox, fallback=sandbox_fallback,
            factory=lambda port, labs: SandboxProcess(port=port, processes=self.processes,
                                                      labs=labs, lab_secret_home=paths.data_home()))
        self._start_sandbox = start_sandbox
        self._health_interval = health_interval
        self._progress_interval = progress_interval  # the course map re-reads progress this often
        # Known before the course map is composed, which shows it.
        self.store_problem: str | None = store_problem
        self._notices = list(notices)
        self.jupyter: JupyterServer | None = None  # one for every lesson, started on first use
        # What shows the sandbox's state subscribes here while mounted (immediately: it shows a
        # new state as the state changes, as a watcher would), and leaves as it is unmounted: a
        # watcher of `sandbox_state` itself would keep its widget (and the screen around it)
        # alive until the state next changed, which for a healthy sandbox is never.
        self.sandbox_changed: Signal[SandboxState] = Signal(self, "sandbox-changed")
        # What is loaded by now (the modules, the course) lives as long as the app: frozen, it
        # is left out of the collector's full passes, tens of milliseconds each walking all of
        # it, which otherwise fall in the middle of the first paint or of a screen's opening.
        # Not in a process that froze objects of its own before the app (a test runner running
        # app after app): the app's unfreeze at its end would thaw them too.
        self._freezes = gc.get_freeze_count() == 0
        if self._freezes:
            gc.freeze()

    @property
    def course(self) -> Course:
        """The whole course: read back on first use (the course map shows `outline`), which a
        thread does once the course map is painted."""
        return self._course.course()

    @cached_property
    def grading(self) -> GradingProcess:
        """Where the app's runs are graded: a process of its own, started at the first run."""
        from apilab.grading_process import GradingProcess

        return GradingProcess()

    @property
    def outline(self) -> CourseOutline:
        """The course's lessons and exercises as the course map shows them."""
        return self._course.outline

    def remember_server_url(self, url: str) -> None:
        """The address of the learner's server, as set in an exercise (u): the other exercises
        use it, and the next start of the app too."""
        if not url or url == self.server_url:
            return
        self.server_url = url
        try:
            save_server_url(url)
        except SettingsError as exc:
            self.notify(f"{exc} The address is kept until you quit.", title="Settings",
                        severity="warning")

    @property
    def hub(self) -> HubLogin | None:
        """The hub this machine is logged in to now: read each time, so that an `apilab login`
        made while the app is open takes effect without a restart."""
        return _joined_hub()

    def get_default_screen(self) -> Screen:
        # The course map is the app's first screen itself rather than pushed over an empty one:
        # one screen to lay out and paint before the learner sees anything, not two.
        from tui.screens.course_map import CourseMapScreen

        return CourseMapScreen(refresh_interval=self._progress_interval)

    def on_mount(self) -> None:
        self.sub_title = self.outline.title
        if self.store_problem:
            self._say_not_saved(self.store_problem)
        for notice in self._notices:
            self.notify(notice, title="Cleaned up after an earlier session", severity="warning",
                        timeout=20)
        self.refresh_unread()
        sandbox = self.sandbox_control.sandbox
        if sandbox is not None and sandbox.pid is not None:
            self.sandbox_state = SandboxState("running", sandbox.url, healthy=True,
                                              labs=sandbox.labs)
        elif self._start_sandbox:
            # Once the course map is on screen: the thread starting it would compete with the
            # first paint. So would reading the hub's settings and syncing with it.
            self.call_after_refresh(self.action_toggle_sandbox)
        self.set_interval(self._health_interval, self._check_health)
        self.call_after_refresh(self._sync_if_joined)
        self.call_after_refresh(self._load_ahead)
        self.call_after_refresh(self._read_screens_css)

    def _read_screens_css(self) -> None:
        """The other screens' styles, read after the course map's first paint (parsing them
        cost every start about 10 ms) and before any other screen is shown. None of them styles
        the course map, which keeps its styles as they are."""
        if not self.stylesheet.has_source(str(SCREENS_CSS), ""):
            self.stylesheet.read(SCREENS_CSS)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        self._read_screens_css()  # a screen opened before the course map was painted
        return super().push_screen(screen, *args, **kwargs)

    # A failure here is met again, and said, where the course or the module is first used.
    @work(thread=True, group="load-ahead", exit_on_error=False)
    def _load_ahead(self) -> None:
        self._course.course()
        for module in LOADED_AHEAD:
            importlib.import_module(module)
        if self._freezes:
            gc.freeze()  # the whole course and the screens' modules, as long-lived

    def _sync_if_joined(self) -> None:
        if self.hub is not None:
            self.sync_with_hub(mention_unsent=True)

    @work(thread=True, exclusive=True, group="hub")
    def sync_with_hub(self, mention_unsent: bool = False) -> None:
        """Send waiting submissions and fetch mentor feedback, off the event loop. Submissions
        made before the learner joined the hub stay on this machine: `apilab login` offered to
        send them, and the learner may have said no; with `mention_unsent` (at start) the app
        says how to send them."""
        from apilab.sync import sync, unsent_text

        hub = self.hub
        if hub is None:
            return
        try:
            # SQLite connections belong to their thread: this one has its own, on the same file.
            with Store(self.store.path) as store:
                result = sync(store, hub)
                unsent = store.unsent_submissions() if mention_unsent else []
        except StoreError as exc:
            self.call_from_thread(self.notify, str(exc), title="Hub sync", severity="error")
            return
        if result.sent or result.new_feedback or result.problem:
            severity = "warning" if result.problem else "information"
            self.call_from_thread(self.notify, result.summary(), title="Hub", severity=severity)
        if unsent:
            self.call_from_thread(self.notify, unsent_text(unsent) + " They stay on this machine: "
                                  "apilab sync sends them to your mentors.", title="Hub", timeout=20)
        self.call_from_thread(self.refresh_unread)

    def on_unmount(self) -> None:
        self.stop_processes()
        if self._freezes:
            gc.unfreeze()  # collected again once the app is gone (a process may run another)

    def stop_processes(self, final: bool = False) -> None:
        """Stop everything the app started: learner servers, Jupyter, the sandbox. With
        `final`, nothing more is started afterwards (the app is ending)."""
        self.processes.stop_all(final=final)
        self.sandbox_control.stop()
        if "grading" in self.__dict__:  # started, or at least asked for
            self.grading.stop()

    # --- the store, guarded -------------------------------------------------------------------

    def safe_store(self, call: Callable[..., T], *args: Any, default: T, **kwargs: Any) -> T:
        """Call a Store method; on StoreError tell the learner once and carry on with `default`."""
        try:
            return call(*args, **kwargs)
        except StoreError as exc:
            self.store_failed(str(exc))
            return default

    def store_failed(self, problem: str) -> None:
        """Tell the learner, once per distinct problem, that progress is not being saved."""
        if self.store_problem != problem:
            self.store_problem = problem
            self._say_not_saved(problem)

    def _say_not_saved(self, problem: str) -> None:
        self.notify(problem, title="Progress is not being saved", severity="error", timeout=15)

    def refresh_unread(self) -> None:
        self.unread = self.safe_store(self.store.unread_count, default=0)

    def watch_unread(self, unread: int) -> None:
        inbox = f" · ✉ {unread} unread" if unread else ""
        self.sub_title = f"{self.outline.title}{inbox}"

    # --- actions available everywhere ---------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_inbox(self) -> None:
        from tui.screens.inbox import InboxScreen

        if not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen())

    def action_toggle_sandbox(self) -> None:
        if self.sandbox_state.phase == "starting":
            return
        if self.sandbox_state.phase == "running":
            self._stop_sandbox()
        else:
            self.sandbox_state = SandboxState("starting")
            self._start_sandbox_worker()

    def switch_labs(self, labs: tuple[str, ...]) -> None:
        """Restart the sandbox, on the same port, with exactly these labs switched on."""
        if self.sandbox_state.phase == "starting":
            return
        self.sandbox_state = SandboxState("starting", labs=labs)
        self._restart_sandbox_worker(labs)

    @work(thread=True, exclusive=True, group="sandbox")
    def _restart_sandbox_worker(self, labs: tuple[str, ...]) -> None:
        self.call_from_thread(self._sandbox_changed, self.sandbox_control.restart_with(labs))

    @work(thread=True, exclusive=True, group="sandbox")
    def _start_sandbox_worker(self) -> None:
        state = self.sandbox_control.start()
        self.call_from_thread(self._sandbox_changed, state)

    @work(thread=True, exclusive=True, group="sandbox")
    def _stop_sandbox(self) -> None:
        self.call_from_thread(self._sandbox_changed, self.sandbox_control.stop())

    @work(thread=True, exclusive=True, group="sandbox-health")
    def _check_health(self) -> None:
        state = self.sandbox_control.check(self.sandbox_state)
        if state != self.sandbox_state:
            self.call_from_thread(setattr, self, "sandbox_state", state)

    def watch_sandbox_state(self, state: SandboxState) -> None:
        self.sandbox_changed.publish(state)

    def _sandbox_changed(self, state: SandboxState) -> None:
        self.sandbox_state = state
        if state.phase == "failed":
            self.notify(state.message, title="The sandbox did not start", severity="error",
                        timeout=15)
        elif state.message:
            self.notify(state.message, title="Sandbox", severity="warning", timeout=10)
