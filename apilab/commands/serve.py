"""`apilab serve`: the learner's server, in any language, restarted on every save."""

from __future__ import annotations

import asyncio
import os

import click

from apilab import paths
from apilab.commands import foreground, resources
from apilab.languages import LANGUAGES
from apilab.ports import SANDBOX_PORT, SERVER_PORT


@click.command()
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

    course = resources.course()
    ex = resources.exercise_in(course, exercise)
    if language and source != "starter":
        raise click.BadParameter("chooses the starter's language: use it with --from starter "
                                 "(your workspace runs in the language of its files)",
                                 param_hint="--lang")
    foreground.echo_notices(stop_leftovers())
    try:
        folder = (exercise_folder(course.root, ex.slug) if source == "work" else
                  starter_for(ex, language) if source == "starter" else ex.solution_dir)
    except WorkspaceError as exc:
        raise click.ClickException(str(exc)) from None
    if not folder.is_dir() and source == "solution":
        raise click.ClickException(resources.NO_REFERENCES)
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
        foreground.until_stopped(processes, lambda: asyncio.run(supervisor.run()))
    finally:
        ready.stop()


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
