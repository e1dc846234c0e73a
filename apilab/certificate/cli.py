"""`apilab certificate`: get a certificate once the course is done, and check one.

    apilab certificate [--out DIR] [--name NAME] [--alone]
    apilab certificate verify FILE [--key KEY.json] [--hub URL]

With a hub (after `apilab login`), the hub issues and signs it once every exercise is approved.
Without one (or with `--alone`), it is made from this machine's runs once the grader passed
every exercise, and it says that nobody vouches for it.

verify exits 0 when the certificate holds, 1 when it does not (changed, another key, unsigned),
2 when it could not be checked (an unreadable file, a hub out of reach).
"""

from __future__ import annotations

from pathlib import Path

import click

NOT_VERIFIED, CANNOT_CHECK = 1, 2


@click.group(invoke_without_command=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Folder for the certificate's .json and .html files.")
@click.option("--name", help="The name on a certificate for a course taken alone (a hub's "
                             "certificate carries your name on the hub).")
@click.option("--alone", is_flag=True, help="From this machine's runs, even when logged in to "
                                            "a hub (unsigned).")
@click.pass_context
def certificate(ctx: click.Context, out_dir: Path, name: str | None, alone: bool) -> None:
    """Get your certificate of completion (signed by your hub), or check one."""
    if ctx.invoked_subcommand is not None:
        return
    from apilab.settings import SettingsError, load_hub

    try:
        login = None if alone else load_hub()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    text = _from_hub(login) if login is not None else _alone(name)
    _save_and_show(text, out_dir)


def _from_hub(login) -> str:
    from apilab.certificate.issue import NotYet, from_hub
    from apilab.hubclient import HubError
    from apilab.untrusted import clean

    try:
        return from_hub(login)
    except NotYet as exc:
        click.echo(clean(exc.advice()), err=True)
        raise SystemExit(NOT_VERIFIED) from None
    except HubError as exc:
        raise click.ClickException(f"{clean(str(exc))} (without the hub: apilab certificate --alone "
                                   "--name NAME)") from None


def _alone(name: str | None) -> str:
    from apilab.certificate.issue import NameNeeded, NotYet, alone
    from apilab.commands import resources

    with resources.store() as store:
        try:
            return alone(resources.course(), store, name or "")
        except NotYet as exc:
            click.echo(exc.advice(), err=True)
            raise SystemExit(NOT_VERIFIED) from None
        except NameNeeded:
            raise click.UsageError("say the name to put on the certificate: --name NAME") from None


def _save_and_show(text: str, out_dir: Path) -> None:
    from apilab.certificate.issue import save
    from apilab.views.certificate import certificate_as_text, saved_line

    try:
        saved = save(text, out_dir)
    except OSError as exc:
        raise click.ClickException(f"cannot write the certificate to {out_dir}: "
                                   f"{exc.strerror or exc}. Choose a folder with --out") from None
    click.echo(certificate_as_text(saved.certificate))
    click.echo(f"\n{saved_line(saved)}")


@certificate.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Check offline against this public key (the JWK the hub publishes at "
                   "/v1/certificates/key).")
@click.option("--hub", "hub_url", help="Check online against this hub [default: the hub the "
                                       "certificate names].")
def verify(file: Path, key_file: Path | None, hub_url: str | None) -> None:
    """Check that FILE is a certificate its hub issued, unchanged."""
    from apilab.certificate.signing import SignatureError
    from apilab.certificate.verify import (
        CertificateFileError,
        read_certificate,
        read_key,
        verify_with_hub,
        verify_with_key,
    )
    from apilab.hubclient import HubClient, HubError
    from apilab.untrusted import clean

    try:
        document, signed = read_certificate(file)
        issuer = signed.certificate.issuer
        if key_file is not None and hub_url is None:
            verify_with_key(document, read_key(key_file))
            how = f"offline, with the key in {key_file}"
        else:
            url = hub_url or issuer.name
            if issuer.kind == "self" or not url.startswith(("http://", "https://")):
                raise SignatureError("it is not signed: a certificate for a course taken alone,"
                                     " which no hub vouches for")
            with HubClient(url, "") as client:
                verify_with_hub(document, client)
            how = f"online, by the hub at {url}" + ("" if hub_url else
                                                   " (the address the certificate names: "
                                                   "make sure it is the course's hub)")
    except (CertificateFileError, HubError) as exc:
        click.echo(f"Cannot check: {clean(str(exc))}", err=True)
        raise SystemExit(CANNOT_CHECK) from None
    except SignatureError as exc:
        click.echo(f"NOT VERIFIED: {clean(str(exc))}.", err=True)
        raise SystemExit(NOT_VERIFIED) from None
    who = clean(f"{signed.certificate.learner}, {signed.certificate.course}")
    click.echo(f"Verified {how}: {who}, issued {clean(signed.certificate.issued_at[:10])}.")
