"""`apilab check` and `apilab submit`: grade the learner's running server and say why.

This is the command a learner runs most: it imports only what grading needs, and that inside the
command, so that it starts fast.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from apilab import paths
from apilab.commands import foreground, resources
from apilab.ports import SANDBOX_PORT, SERVER_PORT
from apilab.untrusted import clean

if TYPE_CHECKING:
    from apilab.catalog.models import Exercise

GRADING_ERROR = 2  # exit code: nothing could be graded


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

        ex = resources.exercise_named(exercise)
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
        foreground.echo_notices(stop_leftovers())  # never grade a server a killed apilab left behind
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

    with resources.store() as store:
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


@click.command()
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


@click.command()
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
