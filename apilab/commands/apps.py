"""`apilab app` (bare `apilab`) and `apilab mentor`: the terminal apps."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from apilab import paths
from apilab.commands import resources
from apilab.ports import SERVER_PORT

if TYPE_CHECKING:
    from apilab.catalog.models import Course


@click.command()
@click.option("--no-sandbox", is_flag=True, help="Do not start the practice API in the background.")
@click.option("--url", help=f"Your server's address in the exercises (u changes it, and the app "
                            f"remembers it) [default: the last one set, or "
                            f"http://127.0.0.1:{SERVER_PORT}].")
def app(no_sandbox: bool, url: str | None) -> None:
    """Open the terminal app (the sandbox runs in the background while it is open)."""
    from apilab.launches import stop_leftovers
    from tui import run_app

    course = resources.kept_course()  # the app's first screen needs only its outline
    resources.workspace(course.outline)  # the app puts the learner's work there: say how before it opens
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


@click.command()
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
