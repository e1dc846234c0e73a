"""`apilab hub`: run a hub and manage who may use it.

Users exist only through these commands (the API has no endpoint that creates one). A token is
printed once, when it is made; the hub keeps only its hash, so a lost token is replaced
(`apilab hub token NAME`), never recovered.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from hub.settings import MEMORY, HubSettings, default_db_path

DEFAULT_PORT = 8765
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The hub's SQLite file [default: hub.db under APILAB_HOME].")


def _store(db_path: Path | None):
    from hub.store import HubStore

    return HubStore(db_path or default_db_path())


def _print_token(name: str, token: str) -> None:
    click.echo(f"Token for {name} (shown only this once; the hub keeps only its hash):\n\n"
               f"  {token}\n\n"
               f"Give it to {name} privately. They join with:\n\n"
               f"  apilab login http://<this hub's address>:<port> --token {token}")


@click.group()
def hub() -> None:
    """Run the mentor hub, and manage its users and their tokens."""


@hub.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 to serve other machines).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="Port to listen on.")
@click.option("--memory", is_flag=True, help="Keep everything in memory (gone on exit).")
@click.option("--rate-limit", default=HubSettings.rate_limit, show_default=True,
              help="Requests each token may make per minute.")
def serve(db_path: Path | None, host: str, port: int, memory: bool, rate_limit: int) -> None:
    """Serve the hub API (docs at /docs)."""
    import uvicorn

    from hub.app import create_hub_app

    settings = HubSettings(db_path=MEMORY if memory else (db_path or default_db_path()),
                           rate_limit=rate_limit, rate_window_s=60)
    app = create_hub_app(settings)
    url = f"http://{host}:{port}"
    click.echo(f"apilab hub on {url}  (database: {settings.db_path}; docs: {url}/docs; "
               "stop with Ctrl+C)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@hub.command("add-user")
@click.argument("name")
@click.option("--role", type=click.Choice(["learner", "mentor"]), required=True)
@db_option
def add_user(name: str, role: str, db_path: Path | None) -> None:
    """Create a user and print their access token (once)."""
    from hub.auth import hash_token, new_token
    from hub.store import HubStoreError

    if not _NAME.fullmatch(name):
        raise click.BadParameter("use 1 to 64 lowercase letters, digits, '.', '_' or '-', "
                                 "starting with a letter or digit", param_hint="NAME")
    token = new_token()
    store = _store(db_path)
    try:
        store.add_user(name, role, hash_token(token))  # type: ignore[arg-type]
    except HubStoreError as exc:
        raise click.ClickException(f"{exc}. For a new token: apilab hub token {name}") from None
    finally:
        store.close()
    click.echo(f"Added {role} {name}.")
    _print_token(name, token)


@hub.command()
@click.argument("name")
@db_option
def token(name: str, db_path: Path | None) -> None:
    """Give an existing user a new token (their other tokens keep working until revoked)."""
    from hub.auth import hash_token, new_token
    from hub.store import HubStoreError

    new = new_token()
    store = _store(db_path)
    try:
        store.add_token(name, hash_token(new))
    except HubStoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    _print_token(name, new)


@hub.command()
@click.argument("name")
@db_option
def revoke(name: str, db_path: Path | None) -> None:
    """Revoke every token of a user, at once: their next request is refused."""
    from hub.store import HubStoreError

    store = _store(db_path)
    try:
        count = store.revoke(name)
    except HubStoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(f"Revoked {count} token{'s' if count != 1 else ''} of {name}."
               + ("" if count else " (none was active)"))


@hub.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def backup(destination: Path, db_path: Path | None) -> None:
    """Copy the hub's database to DESTINATION, safely, even while the hub is serving."""
    if destination.exists():
        raise click.ClickException(f"{destination} already exists; choose a new file name")
    store = _store(db_path)
    try:
        store.backup(destination)
    finally:
        store.close()
    click.echo(f"Backed up the hub to {destination}. Restore by serving it: "
               f"apilab hub serve --db {destination}")


@hub.command()
@db_option
def users(db_path: Path | None) -> None:
    """List the hub's users, their roles and tokens."""
    store = _store(db_path)
    try:
        found = store.users()
    finally:
        store.close()
    if not found:
        click.echo("No users yet. Add one: apilab hub add-user NAME --role learner|mentor")
        return
    width = max(4, *(len(user.name) for user in found))
    click.echo(f"{'name':<{width}}  role     active  revoked  since")
    for user in found:
        click.echo(f"{user.name:<{width}}  {user.role:<7}  {user.active_tokens:>6}  "
                   f"{user.revoked_tokens:>7}  {user.created_at[:10]}")


if __name__ == "__main__":  # python -m hub.cli serve ... (how tests start a real hub)
    hub()
