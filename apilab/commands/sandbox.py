"""`apilab sandbox` runs the practice API; `apilab flag` checks what its security lab revealed."""

from __future__ import annotations

import dataclasses
import sys

import click

from apilab import paths
from apilab.commands import hub, resources
from apilab.ports import SANDBOX_PORT


@click.command()
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


@click.command()
@click.argument("challenge")
@click.argument("flag")
def flag(challenge: str, flag: str) -> None:
    """Check a flag the security lab revealed, and record the capture.

    CHALLENGE is its id (GET /lab/challenges lists them) or its category, such as API1."""
    from apilab.flags import FlagError, capture, summary

    with resources.store() as store:
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
    hub.send_waiting_submissions()  # mentors see captures as they see submissions
