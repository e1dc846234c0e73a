"""`apilab hub`: run a hub and manage who may use it.

Users exist only through these commands (the API has no endpoint that creates one). A token is
printed once, when it is made; the hub keeps only its hash, so a lost token is replaced
(`apilab hub token NAME`, which revokes the old ones), never recovered.

Only `serve` and `init` create a database: the other commands, given a path where there is
none (a typo), say so instead of making an empty hub and reporting success.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.settings import MEMORY, HubSettings, default_db_path

if TYPE_CHECKING:
    from fastapi import FastAPI

DEFAULT_PORT = 8765
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The hub's SQLite file [default: hub.db under APILAB_HOME].")


def _store(db_path: Path | None, create: bool = False):
    from hub.store import HubStore, HubStoreError

    try:
        return HubStore(db_path or default_db_path(), create=create)
    except HubStoreError as exc:
        raise click.ClickException(str(exc)) from None


def _print_token(name: str, token: str) -> None:
    click.echo(f"Token for {name} (shown only this once; the hub keeps only its hash):\n\n"
               f"  {token}\n\n"
               f"Give it to {name} privately. They join with:\n\n"
               f"  apilab login http://<this hub's address>:<port> --token {token}")


@click.group()
def hub() -> None:
    """Run the mentor hub, and manage its users and their tokens."""


def _public_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from hub.settings import public_address

    try:
        return None if value is None else public_address(value)
    except ValueError as exc:
        raise click.BadParameter(f"{exc}.") from None


@hub.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 to serve other machines).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="Port to listen on.")
@click.option("--memory", is_flag=True, help="Keep everything in memory (gone on exit).")
@click.option("--rate-limit", default=HubSettings.rate_limit, show_default=True,
              help="Requests each token may make per minute.")
@click.option("--quota-mb", default=HubSettings.quota_bytes // 1_000_000, show_default=True,
              help="Megabytes of reports each learner may store.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="A reverse proxy whose X-Forwarded-For names the client (repeatable). "
                   "Without one, the address that connects is the client.")
@click.option("--public-url", envvar="APILAB_HUB_PUBLIC_URL", show_envvar=True, metavar="URL",
              callback=_public_url,
              help="The address learners and verifiers reach this hub at (behind a reverse "
                   "proxy, the proxy's): certificates name it as where to verify them. "
                   "Without it, each certificate names the address its request came to.")
def serve(db_path: Path | None, host: str, port: int, memory: bool, rate_limit: int,
          quota_mb: int, trusted_proxies: tuple[str, ...], public_url: str | None) -> None:
    """Serve the hub API (docs at /docs), creating its database if there is none."""
    from apilab.ports import port_in_use

    if port_in_use(host, port):
        raise click.ClickException(f"port {port} on {host} is taken, by another hub or another "
                                   "server; stop it, or choose another with --port")
    settings = HubSettings(db_path=MEMORY if memory else (db_path or default_db_path()),
                           rate_limit=rate_limit, rate_window_s=60,
                           quota_bytes=quota_mb * 1_000_000, trusted_proxies=trusted_proxies,
                           public_url=public_url)
    url = f"http://{host}:{port}"
    where = (f"certificates name {public_url}" if public_url else
             "certificates name the address each request came to; behind a proxy, set "
             "--public-url")
    run_hub(settings, host, port, announce=f"apilab hub on {url}  (database: "
                                           f"{settings.db_path}; docs: {url}/docs; stop with "
                                           f"Ctrl+C)\nNote: {where}.")


def run_hub(settings: HubSettings, host: str, port: int, announce: str | None = None,
            prepare: Callable[[FastAPI], None] | None = None) -> None:
    """Serve a hub with uvicorn until interrupted: the file claimed (one hub per file), and
    X-Forwarded-For believed only from `settings.trusted_proxies` (uvicorn's default trusts
    it from loopback, which would let anyone on the machine dodge the token-guessing throttle
    by inventing addresses)."""
    import uvicorn

    from httpkit.status import use_rfc9110_reason_phrases
    from hub.app import create_hub_app
    from hub.store import HubStoreError

    try:
        app = create_hub_app(settings, serving=True)
    except HubStoreError as exc:
        raise click.ClickException(str(exc)) from None
    if prepare is not None:
        prepare(app)
    if announce:
        click.echo(announce)
    trusted = list(settings.trusted_proxies)
    use_rfc9110_reason_phrases()  # its problems' titles already say them; the status line too
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=bool(trusted),
                forwarded_allow_ips=trusted or None)


@hub.command()
@db_option
def init(db_path: Path | None) -> None:
    """Create an empty hub database (hub serve also creates one when there is none)."""
    path = db_path or default_db_path()
    if path.exists():
        raise click.ClickException(f"{path} already exists; serve it with apilab hub serve "
                                   f"--db {path}")
    _store(path, create=True).close()
    click.echo(f"Created the hub database {path}. Add people with: apilab hub add-user NAME "
               "--role learner|mentor")


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
@click.option("--keep-others", is_flag=True,
              help="Leave the user's other tokens working (a second machine, not a lost one).")
def token(name: str, db_path: Path | None, keep_others: bool) -> None:
    """Give a user a new token and revoke their others (a lost or stolen laptop)."""
    from hub.auth import hash_token, new_token
    from hub.store import HubStoreError

    new = new_token()
    store = _store(db_path)
    try:
        revoked = store.add_token(name, hash_token(new), revoke_others=not keep_others)
    except HubStoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if revoked:
        click.echo(f"Revoked {revoked} older token{'s' if revoked != 1 else ''} of {name}: "
                   "they stop working at once.")
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
    from hub.store import HubStoreError

    if destination.exists():
        raise click.ClickException(f"{destination} already exists; choose a new file name")
    store = _store(db_path)
    try:
        store.backup(destination)
    except HubStoreError as exc:
        raise click.ClickException(str(exc)) from None
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


@hub.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="CSV for spreadsheets, JSON for programs.")
@click.option("--exercise", "exercises", multiple=True, metavar="SLUG",
              help="Only this exercise (repeatable); default: every exercise of the course.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of the terminal.")
@click.option("--course", "course_root", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="The course folder [default: APILAB_COURSE, or this checkout].")
def gradebook(db_path: Path | None, fmt: str, exercises: tuple[str, ...], output: Path | None,
              course_root: Path | None) -> None:
    """Export the gradebook: one row per learner; per exercise the best submission's score,
    the mentor's verdict and override, and its date."""
    from apilab.catalog.loader import CatalogError, load_course
    from apilab.paths import course_root as default_course
    from hub import gradebook as book

    try:
        course = load_course(course_root or default_course())
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        slugs = book.columns(course, exercises)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--exercise") from None
    store = _store(db_path)
    try:
        chunks = book.as_csv(store, slugs) if fmt == "csv" else book.as_json(store, slugs)
        if output is None:
            for chunk in chunks:
                click.echo(chunk, nl=False)
            return
        try:  # newline="": the CSV's own CRLF line ends, unchanged on every platform
            with output.open("w", encoding="utf-8", newline="") as file:
                for chunk in chunks:
                    file.write(chunk)
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        store.close()
    if output is not None:
        click.echo(f"Wrote the gradebook of {', '.join(slugs)} to {output}.", err=True)


if __name__ == "__main__":  # python -m hub.cli serve ... (how tests start a real hub)
    hub()
