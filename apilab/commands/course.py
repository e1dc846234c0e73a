"""The learner's way through the course: `lessons`, `history`, `init` and `start`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from apilab.commands import resources
from apilab.languages import LANGUAGES

if TYPE_CHECKING:
    from apilab.catalog.models import Exercise


@click.command()
def lessons() -> None:
    """Show the course and your progress."""
    from apilab.contracts import task_changes
    from apilab.views.progress import course_as_text
    from apilab.workspace import NoWorkspaceError, workspace_root

    course = resources.course()
    try:
        workspace: Path | None = workspace_root(course.root)
    except NoWorkspaceError as exc:
        workspace, elsewhere = None, str(exc)
    with resources.store() as store:
        latest: dict[str, bool] = {}
        for run in store.notebook_runs():  # newest first
            latest.setdefault(run["lesson"], run["ok"])
        changes = task_changes(course, workspace) if workspace else {}
        started = {slug for slug in course.exercises if workspace and (workspace / slug).is_dir()}
        click.echo(course_as_text(course, store.progress(), latest, changes, started,
                                  store.captured_flags()))
    if workspace is None:
        click.echo(f"\n{elsewhere[0].upper()}{elsewhere[1:]}")


@click.command()
@click.argument("exercise")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs to show, newest first.")
def history(exercise: str, limit: int) -> None:
    """Your past runs of an exercise: when, the result, and which server and URL each graded."""
    from apilab.views.history import runs_as_text

    chosen = resources.exercise_in(resources.course(), exercise)
    with resources.store() as store:
        click.echo(runs_as_text(chosen, store.runs(chosen.slug, limit=limit)))


@click.command()
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


@click.command()
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

    course = resources.course()
    ex = resources.exercise_in(course, exercise)
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
