"""The `apilab` command: the front door to the course, the sandbox and the grader.

Bare `apilab` opens the terminal app. Each command lives in a module of `apilab.commands`, loaded
only when that command runs, and heavy parts (Textual, Jupyter, uvicorn) are imported inside the
commands that need them: `apilab check` starts fast.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from apilab import paths

# The everyday commands that also send submissions left waiting while the hub was down (the app
# and `submit` sync on their own; servers and course tools stay off the network).
QUICK_SYNC_COMMANDS = ("check", "lessons", "start")

# Each command: the module it lives in, and its name there.
COMMANDS = {
    "app": ("apilab.commands.apps", "app"),
    "mentor": ("apilab.commands.apps", "mentor"),
    "lessons": ("apilab.commands.course", "lessons"),
    "history": ("apilab.commands.course", "history"),
    "init": ("apilab.commands.course", "init"),
    "start": ("apilab.commands.course", "start"),
    "serve": ("apilab.commands.serve", "serve"),
    "check": ("apilab.commands.grading", "check"),
    "submit": ("apilab.commands.grading", "submit"),
    "notebook": ("apilab.commands.notebooks", "notebook"),
    "sandbox": ("apilab.commands.sandbox", "sandbox"),
    "flag": ("apilab.commands.sandbox", "flag"),
    "login": ("apilab.commands.hub", "login"),
    "logout": ("apilab.commands.hub", "logout"),
    "sync": ("apilab.commands.hub", "sync_command"),
    "verify": ("apilab.commands.authoring", "verify"),
    "publish-notebooks": ("apilab.commands.authoring", "publish_notebooks"),
    "hub": ("hub.cli", "hub"),  # the hub's server code
    "certificate": ("apilab.certificate.cli", "certificate"),
}


class _Commands(click.Group):
    """apilab's commands, each loaded from its module only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        return getattr(importlib.import_module(module), attribute)

    def invoke(self, ctx: click.Context) -> object:
        """Ctrl-C that a command does not handle itself (while it loads, say) ends it as a
        shell expects, with 130, not click's "Aborted!" and 1: `apilab check` in a script
        exits 130 however early it is interrupted."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\napilab: stopped.", err=True)
            ctx.exit(130)


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
        from apilab.commands import hub

        hub.send_waiting_submissions()
    if ctx.invoked_subcommand is None:
        from apilab.commands.apps import app

        ctx.invoke(app)


if __name__ == "__main__":  # pragma: no cover
    main()
