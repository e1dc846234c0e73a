"""The `apilab` command: the front door to the course, the sandbox and the grader.

Bare `apilab` opens the terminal app. Heavy parts (Textual, Jupyter, uvicorn) are imported inside
the commands that need them, so `apilab check` starts fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from apilab import paths
from apilab.languages import LANGUAGES
from apilab.ports import SANDBOX_PORT, SERVER_PORT
from apilab.untrusted import clean

if TYPE_CHECKING:
    from apilab.catalog.cache import KeptCourse
    from apilab.catalog.models import Course, Exercise, Lesson
    from apilab.catalog.outline import CourseOutline
    from apilab.settings import HubLogin

GRADING_ERROR = 2  # exit code: nothing could be graded
# The everyday commands that also send submissions left waiting while the hub was down (the app
# and `submit` sync on their own; servers and course tools stay off the network).
QUICK_SYNC_COMMANDS = ("check", "lessons", "start")
EXIT_GRACE = 5.0  # seconds a command has to unwind after SIGHUP or SIGTERM stopped what it started


def _course() -> Course:
    return _kept_course().course()


def _kept_course() -> KeptCourse:
    """The course kept between starts: its outline at once, the whole of it when first needed."""
    from apilab.catalog.cache import kept_course
    from apilab.catalog.loader import CatalogError

    try:
        return kept_course(paths.course_root())
    except CatalogError as exc:
        raise click.ClickException(f"the course files have a problem: {exc}") from None


def _course_exercise(name: str) -> Exercise:
    """The exercise named by slug or number: from the course kept between starts (read back in
    milliseconds, where loading one exercise takes a twentieth of a second). When the course as
    a whole does not load, this exercise is loaded alone: a problem elsewhere in the course does
    not stop its grading, and a problem in it is named."""
    from apilab.catalog.cache import cached_course
    from apilab.catalog.loader import CatalogError, load_course_exercise

    root = paths.course_root()
    with contextlib.suppress(CatalogError):
        return _exercise(cached_course(root), name)
    try:
        return load_course_exercise(root, name)
    except CatalogError as exc:
        raise click.ClickException(f"the course files have a problem: {exc}") from None
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="EXERCISE") from None


def _exercise(course: Course, name: str) -> Exercise:
    try:
        return course.exercise(name)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="EXERCISE") from None


def _store():
    from apilab.store import Store, StoreError

    try:
        return Store.open_default()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


class _Commands(click.Group):
    """apilab's commands, with the hub's (`apilab hub ...`, server code) and certificates'
    loaded only when used."""

    LAZY = {"hub": ("hub.cli", "hub"), "certificate": ("apilab.certificate.cli", "certificate")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            import importlib

            module, attribute = self.LAZY[name]
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=_Commands, invoke_without_command=True)
@click.version_option(package_name="apilab", message="apilab %(version)s")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Learn API development by doing: lessons, a live practice API, and a grader that explains.

    Run without a command to open the terminal app.
    """
    if ctx.invoked_subcommand in ("check", "submit"):
        # They make pydantic models for no plugin to watch, and pydantic's search for plugins
        # reads every installed package's entry points: more time than loading the exercise.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if ctx.invoked_subcommand in (None, "app", "check", "submit", "verify"):
        # The contract probes' Hypothesis keeps caches (Unicode tables, constants) in a
        # .hypothesis folder of the current directory, the learner's own, and builds them again
        # in every new one, for seconds, inside a graded check. apilab's data folder keeps them
        # once for every run.
        os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                              str(paths.data_home() / "cache" / "hypothesis"))
    if ctx.invoked_subcommand in QUICK_SYNC_COMMANDS and "--help" not in sys.argv:
        _send_waiting_submissions()
    if ctx.invoked_subcommand is None:
        ctx.invoke(app)


def _send_waiting_submissions() -> None:
    """Submissions and lab captures queued while the hub was down go out with the next
    everyday command."""
    from apilab.settings import SettingsError, load_hub
    from apilab.store import Store, StoreError

    try:
        hub = load_hub()
        if hub is None:
            return
        with Store.open_default() as store:
            if store.outbox_count() == 0 and not store.unsent_flags():
                return
            from apilab.sync import sync

            result = sync(store, hub, pull=False)
    except (SettingsError, StoreError) as exc:
        click.echo(f"apilab: {exc}", err=True)
        return
    click.echo(f"apilab: {clean(result.summary())}", err=True)  # it may quote the hub


@main.command()
@click.option("--no-sandbox", is_flag=True, help="Do not start the practice API in the background.")
@click.option("--url", help=f"Your server's address in the exercises (u changes it, and the app "
                            f"remembers it) [default: the last one set, or "
                            f"http://127.0.0.1:{SERVER_PORT}].")
def app(no_sandbox: bool, url: str | None) -> None:
    """Open the terminal app (the sandbox runs in the background while it is open)."""
    from apilab.launches import stop_leftovers
    from tui import run_app

    course = _kept_course()  # the app's first screen needs only its outline
    _workspace(course.outline)  # the app puts the learner's work there: say how before it opens
    store, problem = store_for_app()
    code = run_app(course, store, start_sandbox=not no_sandbox, store_problem=problem,
                   notices=stop_leftovers(), server_url=url or _remembered_server_url())
    if code:
        sys.exit(code)


def _remembered_server_url() -> str | None:
    """The address set in the app (u) the last time, unless the settings cannot be read."""
    from apilab.settings import SettingsError, load_server_url

    try:
        return load_server_url()
    except SettingsError:
        return None


def store_for_app():
    """The learner's store, or, when it cannot be opened, a scratch one and the reason why.

    The course still works with a damaged database: this session keeps its progress in a scratch
    file, and the app says so, with what to do about the real one.
    """
    import tempfile

    from apilab.store import Store, StoreError

    try:
        return Store.open_default(), None
    except StoreError as exc:
        scratch = Store(Path(tempfile.mkdtemp(prefix="apilab-unsaved-")) / "progress.db")
        return scratch, f"{exc} Until then, this session's progress is not kept."


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=SANDBOX_PORT, show_default=True, help="Port to listen on.")
@click.option("--seed", default=42, show_default=True, help="Seed for the sample data.")
@click.option("--lab", "labs", multiple=True,
              help="Switch on a lab: vulnerable on purpose, loopback only (security lesson).")
def sandbox(host: str, port: int, seed: int, labs: tuple[str, ...]) -> None:
    """Run the practice API, seeded fresh; docs at /docs."""
    from apilab.ports import port_in_use
    from sandbox_api.feature import SandboxConfigError
    from sandbox_api.server import check_config, serve
    from sandbox_api.settings import SandboxSettings

    settings = SandboxSettings(seed=seed, labs=frozenset(labs))
    try:  # a wrong argument is said first, whatever else is wrong (exit 2)
        check_config(host, settings)
    except SandboxConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if labs:  # flags come from this installation's secret, so `apilab flag` can check them
        from sandbox_api.lab_flags import install_secret

        try:
            settings = dataclasses.replace(settings, lab_secret=install_secret(paths.data_home()))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    if port_in_use(host, port):
        raise click.ClickException(f"port {port} on {host} is taken (is a sandbox already "
                                   "running?); stop it, or choose another with --port")
    serve(host, port, settings)


@main.command()
@click.argument("challenge")
@click.argument("flag")
def flag(challenge: str, flag: str) -> None:
    """Check a flag the security lab revealed, and record the capture.

    CHALLENGE is its id (GET /lab/challenges lists them) or its category, such as API1."""
    from apilab.flags import FlagError, capture, summary

    with _store() as store:
        try:
            result = capture(store, paths.data_home(), challenge, flag)
        except FlagError as exc:
            raise click.BadParameter(str(exc), param_hint="CHALLENGE") from None
        except ValueError as exc:  # a damaged secret file: the message says what to do
            raise click.ClickException(str(exc)) from None
        found = f"{result.challenge.id} ({result.challenge.category}, {result.challenge.title})"
        if not result.correct:
            click.echo(f"That is not the flag of {found} on this installation. Flags differ from "
                       "one installation to the next: copy it from the answer of your own lab "
                       f"(apilab sandbox --lab security), the whole of it, apilab{{...}} included.", err=True)
            sys.exit(1)
        again = "" if result.new else " (captured before)"
        click.echo(f"Captured {found}{again}.")
        click.echo(summary(store.captured_flags()))
    _send_waiting_submissions()  # mentors see captures as they see submissions


@main.command()
def lessons() -> None:
    """Show the course and your progress."""
    from apilab.contracts import task_changes
    from apilab.views.progress import course_as_text
    from apilab.workspace import NoWorkspaceError, workspace_root

    course = _course()
    try:
        workspace: Path | None = workspace_root(course.root)
    except NoWorkspaceError as exc:
        workspace, elsewhere = None, str(exc)
    with _store() as store:
        latest: dict[str, bool] = {}
        for run in store.notebook_runs():  # newest first
            latest.setdefault(run["lesson"], run["ok"])
        changes = task_changes(course, workspace) if workspace else {}
        started = {slug for slug in course.exercises if workspace and (workspace / slug).is_dir()}
        click.echo(course_as_text(course, store.progress(), latest, changes, started,
                                  store.captured_flags()))
    if workspace is None:
        click.echo(f"\n{elsewhere[0].upper()}{elsewhere[1:]}")


@main.command()
@click.argument("exercise")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs to show, newest first.")
def history(exercise: str, limit: int) -> None:
    """Your past runs of an exercise: when, the result, and which server and URL each graded."""
    from apilab.views.history import runs_as_text

    chosen = _exercise(_course(), exercise)
    with _store() as store:
        click.echo(runs_as_text(chosen, store.runs(chosen.slug, limit=limit)))


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def init(folder: Path | None) -> None:
    """Create your workspace, where your exercises and notebooks go [default: ./apilab-course]."""
    import shlex

    from apilab.workspace import DEFAULT_FOLDER, WorkspaceError
    from apilab.workspace_init import init_workspace

    given = folder or Path(DEFAULT_FOLDER)
    try:
        made = init_workspace(given)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc)) from None
    if not made.created:
        click.echo(f"{made.path} is already your workspace; nothing changed.")
    else:
        click.echo(f"Created your workspace: {made.path}\nYour exercises (apilab start) and your "
                   "copies of the notebooks (apilab notebook) go there, and updates of apilab never "
                   "touch them.")
        if made.kept:
            click.echo(f"Kept your own {' and '.join(made.kept)} as "
                       + ("they were." if len(made.kept) > 1 else "it was."))
        click.echo('To keep your work under version control: git init && git add . && git commit '
                   '-m "My apilab work" (in that folder)')
    here = made.path == Path.cwd().resolve()
    click.echo("\nNext:\n" + ("" if here else f"  cd {shlex.quote(str(given))}\n")
               + "  apilab            the course in the terminal app\n"
               + "  apilab lessons    the course and your progress, as text")


@main.command()
@click.argument("exercise")
@click.option("--reset", is_flag=True, help="Start over: your current work is kept in a backup folder.")
@click.option("--lang", "language", type=click.Choice(sorted(LANGUAGES)),
              help="The starter's language [default: python].")
@click.option("--accept-task", is_flag=True,
              help="The task changed since you started (apilab lessons says so): take the new one "
                   "as yours. Your work is untouched.")
def start(exercise: str, reset: bool, language: str | None, accept_task: bool) -> None:
    """Copy an exercise's starter into your workspace (<workspace>/<exercise>/)."""
    from apilab.server_commands import remember
    from apilab.workspace import WorkspaceError, start_workspace

    course = _course()
    ex = _exercise(course, exercise)
    try:
        workspace = start_workspace(course, ex, reset=reset, language=language)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc)) from None
    if not workspace.created:
        again = f" --lang {language}" if language else ""
        click.echo(f"Your workspace already exists: {workspace.path}\nYour work is untouched. "
                   f"To start over (keeping a backup): apilab start {ex.slug}{again} --reset")
        _echo_task_change(ex, workspace.path.parent, accept_task)
    else:
        remember(ex.slug, None)  # a command given for the old workspace may not fit the new one
        if workspace.backup:
            click.echo(f"Your previous work is kept in {workspace.backup}")
        click.echo(f"Started {ex.title} in {workspace.path}")
    contract = workspace.path / ex.contract.name
    click.echo(
        f"\nNext:\n  read the task:  {ex.readme}\n"
        + (f"  the contract:   {contract} (OpenAPI 3.1, for your API tools)\n"
           if contract.is_file() else "")
        + f"  run it:         apilab serve {ex.slug}    (restarts when you save)\n"
        f"  check it:       apilab check {ex.slug}\n"
        f"Any language works: apilab serve {ex.slug} --cmd \"COMMAND\" runs your own server, "
        "with its port in PORT."
    )


@main.command()
@click.argument("exercise")
@click.option("--port", default=SERVER_PORT, show_default=True, help="The port your server gets in PORT.")
@click.option("--from", "source", type=click.Choice(["work", "starter", "solution"]), default="work",
              show_default=True, help="Which copy to run: your workspace, the starter or the reference.")
@click.option("--cmd", "command", metavar="COMMAND",
              help='The command that runs your server, such as "node server.js" or "go run ."; it '
                   'finds its port in PORT. Remembered for this exercise; "default" forgets it.')
@click.option("--lang", "language", type=click.Choice(sorted(LANGUAGES)),
              help="With --from starter: the starter in this language.")
def serve(exercise: str, port: int, source: str, command: str | None, language: str | None) -> None:
    """Run your server, in any language, and restart it whenever you save.

    Python (app.py) runs with uvicorn, JavaScript (server.js) with node, anything else with --cmd.
    """
    from apilab.launches import stop_leftovers
    from apilab.ports import port_in_use
    from apilab.processes import Processes
    from apilab.ready import ReadyProcesses
    from apilab.server_commands import CommandError, resolve
    from apilab.serving import ServerSupervisor
    from apilab.workspace import WorkspaceError, exercise_folder, starter_for

    course = _course()
    ex = _exercise(course, exercise)
    if language and source != "starter":
        raise click.BadParameter("chooses the starter's language: use it with --from starter "
                                 "(your workspace runs in the language of its files)",
                                 param_hint="--lang")
    _echo_notices(stop_leftovers())
    try:
        folder = (exercise_folder(course.root, ex.slug) if source == "work" else
                  starter_for(ex, language) if source == "starter" else ex.solution_dir)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc)) from None
    if not folder.is_dir() and source == "solution":
        raise click.ClickException(_NO_REFERENCES)
    if not folder.is_dir():
        raise click.ClickException(f"no workspace for {ex.slug} yet. Create it with: apilab start "
                                   f"{ex.slug} (--lang js for JavaScript)")
    try:
        resolved = resolve(folder, ex.slug, command, remember_it=source == "work")
    except CommandError as exc:
        raise click.ClickException(f'{exc}: apilab serve {ex.slug} --cmd "COMMAND"') from None
    if port_in_use("127.0.0.1", port):
        raise click.ClickException(_port_taken(ex.slug, port))
    watch = source == "work"
    click.echo(f"Serving {folder} on http://127.0.0.1:{port} with: {resolved.shown}  "
               f"({resolved.origin}{', restarted when you save' if watch else ''})\n"
               f"Check it with: {_check_command(ex.slug, port)}    Stop it with Ctrl-C.")
    processes = Processes()
    supervisor = ServerSupervisor(
        processes, folder=folder, command=resolved, port=port, exercise=ex.slug, watch=watch,
        sandbox_url=os.environ.get("SANDBOX_URL", f"http://127.0.0.1:{SANDBOX_PORT}"),
        on_event=_echo_server_event)
    ready = ReadyProcesses(processes, paths.data_home())  # so that `apilab check` starts in a blink
    ready.start()
    try:
        _until_stopped(processes, lambda: asyncio.run(supervisor.run()))
    finally:
        ready.stop()


def _echo_task_change(exercise: Exercise, workspace: Path, accept: bool) -> None:
    """Say how the task changed since the learner started it; with `accept`, take the new one."""
    from apilab.contracts import accept_task, task_change, task_diff
    from apilab.views.progress import task_change_note

    try:
        change = task_change(workspace, exercise)
        diff = task_diff(workspace, change, exercise) if change else None
        if accept:
            accept_task(workspace, exercise)
    except OSError as exc:
        raise click.ClickException(f"could not note the new task in {workspace}: "
                                   f"{exc.strerror or exc}") from None
    if change is None:
        if accept:
            click.echo("The task has not changed since you started it.")
        return
    if diff:
        click.echo(f"\nThe task {task_change_note(change)}. What changed:\n\n{diff}")
    else:
        click.echo(f"\nThe task {task_change_note(change)}: read it again in {exercise.root}")
    click.echo("Noted: this is now your task." if accept else
               f"Once you have: apilab start {exercise.slug} --accept-task")


def _workspace(course: Course | CourseOutline) -> Path:
    """The learner's workspace, or a ClickException saying how to create or find one."""
    from apilab.workspace import NoWorkspaceError, workspace_root

    try:
        return workspace_root(course.root)
    except NoWorkspaceError as exc:
        raise click.ClickException(str(exc)) from None


def _echo_server_event(event) -> None:
    if event.kind == "output":  # the server's own output, on stdout as if it ran here
        click.echo(event.text)
    else:
        click.echo(f"apilab: {event.text}", err=True)


def _check_command(slug: str, port: int) -> str:
    url = "" if port == SERVER_PORT else f" --url http://127.0.0.1:{port}"
    return f"apilab check {slug}{url}"


def _port_taken(slug: str, port: int) -> str:
    from apilab.launches import serving

    launch = serving(port)
    holder = (f"{launch.describe()}, run by apilab (pid {launch.owner_pid}) in another terminal"
              if launch else "another program")
    return (f"port {port} is already in use by {holder}: is your server already running? Stop "
            f"it, or choose another port: apilab serve {slug} --port {port + 1} "
            f"(then: {_check_command(slug, port + 1)})")


def _echo_notices(notices: list[str]) -> None:
    for notice in notices:
        click.echo(f"apilab: {notice}", err=True)


def _until_stopped(processes, run: Callable[[], object]) -> None:
    """Call `run()` until it returns, Ctrl-C, or SIGHUP or SIGTERM (a closed terminal, `kill`);
    however it ends, every program `processes` started is stopped before apilab exits."""
    from apilab.processes import ending_on_signals, exit_soon

    def end(signum: int) -> None:
        processes.stop_all(final=True)
        exit_soon(128 + signum, EXIT_GRACE)  # what it started is stopped: only unwinding is left
        raise SystemExit(128 + signum)

    try:
        with ending_on_signals(end):
            run()
    except KeyboardInterrupt:
        processes.stop_all(final=True)
        with contextlib.suppress(OSError):  # the terminal may be gone
            click.echo("apilab: stopped.", err=True)
        sys.exit(130)
    finally:
        processes.stop_all(final=True)


# The course's policy: the installed course holds no answers (README, "What the installed course holds").
_NO_REFERENCES = ("this course has no reference solutions: an installed apilab leaves them out, "
                  "with the mutants and solution notebooks, so that the answers are not one folder "
                  "away. They are in the course's repository: run this in a clone of it.")


def _grade_command(exercise: str, url: str | None, fmt: str, seed: int | None, allow_remote: bool,
                   verbose: bool, submit: bool, sandbox_url: str | None = None,
                   by_stage: bool = False, only: str | None = None, watch: bool = False) -> None:
    from apilab import long_lived

    with long_lived.loading():
        from apilab.grading_progress import SlowChecks
        from apilab.launches import server_at, stop_leftovers
        from apilab.settings import SettingsError, load_hub
        from apilab.submissions import grade_and_record
        from grader.render import render
        from grader.services import ServiceTargetError
        from grader.target import TargetError

        ex = _course_exercise(exercise)
    if only is not None:
        _check_of(ex, only)
    folder = _watched_folder(ex) if watch else None
    try:
        hub = load_hub() if submit else None
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if url is None:  # the default address is where `apilab serve` runs the learner's app
        url = f"http://127.0.0.1:{SERVER_PORT}"
        start_hint = f"Start your server first: apilab serve {ex.slug}"
    else:
        start_hint = "Start your server so that it listens there, then check again."
    statuses: list[str] = []

    async def grade_once(store) -> None:
        _echo_notices(stop_leftovers())  # never grade a server a killed apilab left behind
        server = server_at(url)
        progress = SlowChecks(sys.stderr)
        try:
            recorded = await grade_and_record(
                ex, url, store, seed=seed, submit=submit, send_to_hub=hub is not None,
                allow_remote=allow_remote, start_hint=start_hint,
                server=server.shown_command if server else None,
                services={"sandbox": sandbox_url} if sandbox_url else None,
                by_stage=by_stage, only=only, on_progress=progress)
        finally:
            progress.close()
        report = recorded.report
        statuses.append(report.status)
        click.echo(render(report, fmt, color=fmt == "text" and sys.stdout.isatty(), verbose=verbose))
        if recorded.warning:
            click.echo(recorded.warning, err=True)
        if only is not None:
            click.echo(f"apilab: a run of one check is not recorded; apilab check {ex.slug} "
                       "grades the stages.", err=True)
        if submit:  # a script reading the report from stdout gets the report alone
            _after_submit(store, hub, recorded.run_id, to_stderr=fmt != "text")

    with _store() as store:
        try:
            if folder is None:
                asyncio.run(grade_once(store))
            else:
                from apilab.check_watch import grade_on_save

                asyncio.run(grade_on_save(folder, url, lambda: grade_once(store),
                                          lambda text: click.echo(f"apilab: {text}", err=True)))
        except ServiceTargetError as exc:
            raise click.BadParameter(str(exc), param_hint=f"--{exc.service}-url") from None
        except TargetError as exc:
            raise click.BadParameter(str(exc), param_hint="--url") from None
        except KeyboardInterrupt:  # Ctrl-C: the shell's convention, 128 + SIGINT, not a failure
            click.echo("\napilab: stopped watching." if folder else
                       "\napilab: stopped; nothing was graded or recorded.", err=True)
            sys.exit(130)
    sys.exit({"pass": 0, "fail": 1}.get(statuses[-1], GRADING_ERROR))


def _watched_folder(exercise: Exercise) -> Path:
    """The learner's copy of the exercise, which `check --watch` follows."""
    from apilab.workspace import WorkspaceError, exercise_folder

    try:
        folder = exercise_folder(paths.course_root(), exercise.slug)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc)) from None
    if not folder.is_dir():
        raise click.ClickException(f"no workspace for {exercise.slug} to watch yet. Create it with: "
                                   f"apilab start {exercise.slug}")
    return folder


def _check_of(exercise: Exercise, check_id: str) -> None:
    """Refuse, as a bad --only, a check the exercise does not have or that `check` does not run."""
    import difflib

    ids = [check.id for check in exercise.checks]
    if check_id not in ids:
        close = difflib.get_close_matches(check_id, ids, n=1)
        stage = exercise.stages[0]
        raise click.BadParameter(
            f"{exercise.slug} has no check {check_id!r}"
            + (f"; did you mean {close[0]}?" if close else
               f"; its first stage's checks are {', '.join(stage.checks)}"), param_hint="--only")
    if next(check for check in exercise.checks if check.id == check_id).hidden:
        raise click.BadParameter(f"{check_id} is a hidden check: only apilab submit runs it",
                                 param_hint="--only")


def _after_submit(store, hub, run_id: str | None, *, to_stderr: bool) -> None:
    if run_id is None:
        return
    if hub is None:
        click.echo("Recorded as a submission. To send submissions to your mentors, join a hub: "
                   "apilab login HUB_URL --token TOKEN", err=to_stderr)
        return
    from apilab.sync import sync

    result = sync(store, hub)
    click.echo(clean(result.summary()), err=to_stderr)  # it may quote the hub


_grade_options = [
    click.argument("exercise"),
    click.option("--url", help=f"Your server's address [default: http://127.0.0.1:{SERVER_PORT}]."),
    click.option("--seed", type=int, help="Replay a run: the same seed sends the same data."),
    click.option("--allow-remote", is_flag=True, help="Allow a server that is not on this machine."),
    click.option("--sandbox-url", envvar="SANDBOX_URL",
                 help=f"Where the sandbox runs, for exercises that use it "
                      f"[default: http://127.0.0.1:{SANDBOX_PORT}, or $SANDBOX_URL]."),
    click.option("-v", "--verbose", is_flag=True, help="Show the requests of passed checks too."),
]


def _with_grade_options(fn):
    for option in reversed(_grade_options):
        fn = option(fn)
    return fn


_format_option = click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]),
                              default="text", show_default=True,
                              help="text for reading; json or junit for scripts and CI.")


@main.command()
@_with_grade_options
@_format_option
@click.option("--all", "every_stage", is_flag=True,
              help="Run every stage, not only up to the first stage with a failure.")
@click.option("--only", metavar="CHECK", help="Run this one check (its id, as the report shows "
                                              "it); the run is not recorded.")
@click.option("--watch", is_flag=True, help="Grade again each time you save in your workspace "
                                            "(once your server listens again); Ctrl-C stops.")
def check(exercise: str, url: str | None, seed: int | None, allow_remote: bool,
          sandbox_url: str | None, verbose: bool, fmt: str, every_stage: bool,
          only: str | None, watch: bool) -> None:
    """Grade your running server, stage by stage: the run stops at the first stage with a
    failure and says which comes next. Exit 0: all passed; 1: a check failed; 2: nothing graded."""
    if every_stage and only:
        raise click.UsageError("--all runs every check and --only runs one: give one of them")
    _grade_command(exercise, url, fmt, seed, allow_remote, verbose, submit=False,
                   sandbox_url=sandbox_url, by_stage=not every_stage, only=only, watch=watch)


@main.command()
@_with_grade_options
@_format_option
def submit(exercise: str, url: str | None, seed: int | None, allow_remote: bool,
           sandbox_url: str | None, verbose: bool, fmt: str) -> None:
    """Grade with the hidden checks included, record it, and send it to your hub.

    A submission runs every stage. Exit 0: all passed; 1: a check failed; 2: nothing graded.
    With --format json or junit, standard output is the report alone; what happened to the
    submission goes to stderr.
    """
    _grade_command(exercise, url, fmt, seed, allow_remote, verbose, submit=True,
                   sandbox_url=sandbox_url)


@main.command()
@click.argument("hub_url")
@click.option("--token", required=True, help="The access token your mentor gave you.")
def login(hub_url: str, token: str) -> None:
    """Join a course hub, so submissions reach your mentors and their feedback reaches you."""
    from apilab.hubclient import HubAuthError, HubClient, HubError
    from apilab.settings import HubLogin, SettingsError, save_hub

    try:
        with HubClient(hub_url, token, timeout=10) as client:
            me = client.me()
    except HubAuthError:
        raise click.ClickException(f"the hub at {hub_url} refused this token. Check it, or ask "
                                   "your mentor for a new one.") from None
    except HubError as exc:
        raise click.ClickException(clean(f"could not log in: {exc}")) from None
    joined = HubLogin(url=hub_url.rstrip("/"), token=token, name=me.name, role=me.role)
    try:
        save_hub(joined)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(clean(f"Logged in to {hub_url} as {me.name} ({me.role})."))
    if me.role == "mentor":
        click.echo("Open the review queue with: apilab mentor")
    else:
        click.echo("Submissions (apilab submit EXERCISE) now go to your mentors.")
        _offer_unsent(joined)


def _offer_unsent(hub: HubLogin) -> None:
    """Submissions made before the learner joined a hub: say how many, and send them if they
    agree (a script answering nothing keeps them, for apilab sync to send)."""
    from apilab.sync import sync, unsent_text

    with _store() as store:
        unsent = store.unsent_submissions()
        if not unsent:
            return
        click.echo(unsent_text(unsent))
        try:
            send = click.confirm("Send them to your mentors now?", default=True)
        except click.Abort:
            send = False
        if not send:
            click.echo("They stay on this machine; apilab sync sends them when you want.")
            return
        store.queue_unsent()
        result = sync(store, hub)
    click.echo(clean(result.summary()))  # it may quote the hub


@main.command()
def logout() -> None:
    """Forget the hub on this machine (submissions still waiting are kept)."""
    from apilab.settings import SettingsError, save_hub

    try:
        save_hub(None)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Logged out. Your progress on this machine is untouched.")


@main.command(name="sync")
def sync_command() -> None:
    """Send waiting submissions (those made before you logged in too) to the hub and fetch new
    mentor feedback."""
    from apilab.settings import SettingsError, load_hub
    from apilab.sync import sync

    try:
        hub = load_hub()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if hub is None:
        raise click.ClickException("not logged in to a hub: apilab login HUB_URL --token TOKEN")
    with _store() as store:
        store.queue_unsent()  # submissions made before joining go when the learner asks
        result = sync(store, hub)
    click.echo(clean(result.summary()))  # it may quote the hub
    sys.exit(1 if result.problem else 0)


@main.command()
@click.argument("exercise", required=False)
@click.option("--no-notebooks", is_flag=True, help="Skip running the notebooks.")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Servers or notebooks at once [default: four per core].")
def verify(exercise: str | None, no_notebooks: bool, jobs: int | None) -> None:
    """Check the course itself: solutions pass, starters fail, mutants are caught, notebooks run."""
    from apilab.verify import verify_course

    course = _course()
    only = [_exercise(course, exercise)] if exercise else None
    if any(not ex.solution_dir.is_dir() for ex in only or course.ordered_exercises()):
        raise click.ClickException(_NO_REFERENCES)
    ok = verify_course(course, exercises=only, notebooks=not no_notebooks and not exercise,
                       echo=click.echo, jobs=jobs)
    sys.exit(0 if ok else 1)


@main.command()
@click.argument("lesson")
@click.option("--port", default=SANDBOX_PORT, show_default=True, help="Sandbox port.")
@click.option("--check", is_flag=True,
              help="Run your copy top to bottom against a fresh sandbox instead, and record it.")
@click.option("--reset", is_flag=True,
              help="Start over from the course's notebook: your copy is kept as a backup.")
def notebook(lesson: str, port: int, check: bool, reset: bool) -> None:
    """Open a lesson's notebook (your own copy, in your workspace) in Jupyter, with the sandbox."""
    from apilab.workspace import WorkspaceError, notebook_copy, reset_notebook_copy

    course = _course()
    try:
        chosen = course.lesson(lesson)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="LESSON") from None
    try:
        if reset and (backup := reset_notebook_copy(course, chosen)):
            click.echo(f"Your previous copy is kept in {backup}")
        path = notebook_copy(course, chosen)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc)) from None
    if check:
        _check_notebook(course, chosen, path)
        return
    _warn_if_stale(course, chosen, path)
    from apilab.launches import stop_leftovers
    from apilab.processes import Processes

    _echo_notices(stop_leftovers())
    processes = Processes()
    _until_stopped(processes, lambda: _open_notebook(processes, path, port, tuple(chosen.labs)))


def _open_notebook(processes, path: Path, port: int, labs: tuple[str, ...]) -> None:
    """Serve the notebook with Jupyter (and the sandbox, unless one runs already) until Jupyter
    ends; say where to open it."""
    from apilab.browser import open_in_browser
    from apilab.jupyter import JupyterError, JupyterServer
    from apilab.sandbox_process import SandboxError, SandboxProcess

    url = f"http://127.0.0.1:{port}"
    if _is_sandbox(url):
        missing = [lab for lab in labs if not _serves_lab(url, lab)]
        if missing:
            raise click.ClickException(
                f"the sandbox running at {url} has no {', '.join(missing)} lab, which this notebook "
                f"needs: stop it (Ctrl-C where it runs), or give this notebook another --port")
        click.echo(f"Using the sandbox already running at {url}")
    else:
        sandbox = SandboxProcess(port=port, log_path=paths.data_home() / "sandbox.log",
                                 processes=processes, labs=labs, lab_secret_home=paths.data_home())
        try:
            sandbox.start()
        except SandboxError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Started the sandbox at {url} (it stops when Jupyter does)")
    jupyter = JupyterServer(processes, root=path.parent, sandbox_url=url, output="inherit")
    click.echo("Starting Jupyter…")
    try:
        jupyter.start()
    except JupyterError as exc:
        raise click.ClickException(str(exc)) from None
    link = jupyter.url_for(path)
    opened = open_in_browser(link)
    click.echo(f"\n{'Opened' if opened else 'Open'} your copy of the notebook: {link}\n"
               + ("" if opened else "(No browser here: on another machine, forward the port "
                  f"first: ssh -L {jupyter.port}:127.0.0.1:{jupyter.port} THIS-HOST)\n")
               + "Jupyter and the sandbox run until you press Ctrl-C here.\n")
    jupyter.wait()


def _check_notebook(course: Course, lesson: Lesson, path: Path) -> None:
    """Run the learner's copy against a sandbox of its own, with the course's self-checks; record
    the result and say what is unfinished, if anything."""
    from apilab.notebook_check import CopyError, check_copy, prepare_copy
    from apilab.sandbox_process import SandboxError, SandboxProcess

    published = course.notebook_path(lesson)
    assert published is not None  # notebook_copy refused a lesson without one
    try:
        prepared = prepare_copy(path, published)
    except CopyError as exc:
        raise click.ClickException(f"{exc}\n{_fresh_copy_hint(lesson)}") from None
    click.echo(f"Running {path} against a fresh sandbox…")
    try:
        with SandboxProcess(labs=tuple(lesson.labs), lab_secret_home=paths.data_home()) as sandbox:
            checked = check_copy(prepared, sandbox.url)
    except SandboxError as exc:
        raise click.ClickException(f"the sandbox did not start: {exc}") from None
    with _store() as store:
        store.record_notebook_run(lesson.slug, checked.ok, checked.result.duration * 1000,
                                  checked.short() or None)
    for index in checked.replaced:
        click.echo(f"Note: cell {index + 1} is a self-check you changed; it ran as the course wrote it.")
    if checked.ok:
        click.echo(f"✓ {checked.result.summary()}: every self-check passed. Recorded as done.")
        return
    click.echo(f"✗ Not finished yet. {checked.unfinished}\nOpen it with apilab notebook "
               f"{lesson.number}, complete that cell, run it and its self-check, then check again.")
    sys.exit(1)


def _warn_if_stale(course: Course, lesson: Lesson, path: Path) -> None:
    """Say so when the learner's copy cannot count as done (made from an older notebook, say)."""
    from apilab.notebook_check import CopyError, prepare_copy

    published = course.notebook_path(lesson)
    assert published is not None
    try:
        prepare_copy(path, published)
    except CopyError as exc:
        click.echo(f"Note: {exc}\n{_fresh_copy_hint(lesson)}")


def _fresh_copy_hint(lesson: Lesson) -> str:
    return f"Start a fresh copy with: apilab notebook {lesson.number} --reset (yours is kept as a backup)"


@main.command("publish-notebooks")
@click.argument("lesson", required=False)
def publish_notebooks(lesson: str | None) -> None:
    """For course authors: write each lesson's notebook from its solution, answers made blanks."""
    from apilab.blanks import publish, solution_path

    course = _course()
    try:
        lessons = [course.lesson(lesson)] if lesson else course.lessons
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="LESSON") from None
    for chosen in lessons:
        published = course.notebook_path(chosen)
        if published is None:
            if lesson:
                click.echo(f"Lesson {chosen.number} ({chosen.slug}) has no notebook.")
            continue
        solution = solution_path(published)
        if not solution.is_file():
            raise click.ClickException(
                f"{solution} is missing. The solution notebook is the one you edit: put the "
                "answers in it, mark each with `# blank`, and run this again.")
        try:
            written, blanks = publish(solution, published)
        except (OSError, ValueError) as exc:  # BlankError is a ValueError, as are unreadable notebooks
            raise click.ClickException(f"{solution}: {exc}") from None
        state = f"Wrote {published} from its solution" if written else f"{published} is up to date"
        click.echo(f"{state} ({blanks} blanks)")


def _is_sandbox(url: str) -> bool:
    """True when the practice API (and not some other program) answers at `url`."""
    import httpx

    from sandbox_api.docs import TITLE

    try:
        document = httpx.get(f"{url}/openapi.json", timeout=2, trust_env=False).json()
    except (httpx.HTTPError, ValueError):
        return False
    title = document.get("info", {}).get("title") if isinstance(document, dict) else None
    return isinstance(title, str) and title.startswith(TITLE)  # a sandbox with labs says so


def _serves_lab(url: str, lab: str) -> bool:
    """True when the sandbox at `url` runs this lab: its answers say so in X-Apilab-Lab."""
    import httpx

    from sandbox_api.labs import HEADER

    try:
        marks = httpx.get(f"{url}/health", timeout=2, trust_env=False).headers.get_list(HEADER)
    except httpx.HTTPError:
        return False
    return any(mark.split(";")[0].strip() == lab for mark in marks)


@main.command()
def mentor() -> None:
    """Review learners' submissions on your hub: queue, reports, feedback, cohort."""
    from apilab.settings import SettingsError, load_hub

    try:
        settings = load_hub()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if settings is None or settings.role != "mentor":
        raise click.ClickException("log in with a mentor token: apilab login HUB_URL --token TOKEN")
    from apilab.catalog.loader import CatalogError, load_course

    try:  # the course only names exercises in the filters; the hub is enough without it
        course: Course | None = load_course(paths.course_root())
    except CatalogError:
        course = None
    from tui import run_mentor_app

    run_mentor_app(settings, course)


if __name__ == "__main__":  # pragma: no cover
    main()
