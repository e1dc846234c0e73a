"""`apilab notebook`: a lesson's notebook in Jupyter with the sandbox, or checked top to bottom."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from apilab import paths
from apilab.commands import foreground, resources
from apilab.ports import SANDBOX_PORT

if TYPE_CHECKING:
    from apilab.catalog.models import Course, Lesson


@click.command()
@click.argument("lesson")
@click.option("--port", default=SANDBOX_PORT, show_default=True, help="Sandbox port.")
@click.option("--check", is_flag=True,
              help="Run your copy top to bottom against a fresh sandbox instead, and record it.")
@click.option("--reset", is_flag=True,
              help="Start over from the course's notebook: your copy is kept as a backup.")
def notebook(lesson: str, port: int, check: bool, reset: bool) -> None:
    """Open a lesson's notebook (your own copy, in your workspace) in Jupyter, with the sandbox."""
    from apilab.workspace import WorkspaceError, notebook_copy, reset_notebook_copy

    course = resources.course()
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

    foreground.echo_notices(stop_leftovers())
    processes = Processes()
    foreground.until_stopped(processes, lambda: _open_notebook(processes, path, port, tuple(chosen.labs)))


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
    with resources.store() as store:
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
