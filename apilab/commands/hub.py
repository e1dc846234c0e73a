"""Joining a course hub and talking to it: `login`, `logout`, `sync`, and the submissions that
wait for it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from apilab.commands import resources
from apilab.untrusted import clean

if TYPE_CHECKING:
    from apilab.settings import HubLogin


def send_waiting_submissions() -> None:
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


@click.command()
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

    with resources.store() as store:
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


@click.command()
def logout() -> None:
    """Forget the hub on this machine (submissions still waiting are kept)."""
    from apilab.settings import SettingsError, save_hub

    try:
        save_hub(None)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Logged out. Your progress on this machine is untouched.")


@click.command(name="sync")
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
    with resources.store() as store:
        store.queue_unsent()  # submissions made before joining go when the learner asks
        result = sync(store, hub)
    click.echo(clean(result.summary()))  # it may quote the hub
    sys.exit(1 if result.problem else 0)
