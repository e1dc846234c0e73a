"""Run the sandbox with uvicorn: `serve()` for the CLI, and a `__main__` for child processes
(`python -m sandbox_api.server --host 127.0.0.1 --port 8000 --seed 42`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

import uvicorn

from httpkit.status import use_rfc9110_reason_phrases
from sandbox_api.app import create_app
from sandbox_api.feature import Feature, SandboxConfigError, discover, select
from sandbox_api.lab_flags import install_secret
from sandbox_api.labs import check_host
from sandbox_api.settings import SandboxSettings


def check_config(host: str, settings: SandboxSettings,
                 catalog: Mapping[str, Feature] | None = None) -> None:
    """Raise SandboxConfigError for an unknown feature or lab, or a lab on a host that other
    machines can reach: the mistakes to report before anything else (a busy port, say)."""
    select(catalog if catalog is not None else discover(), settings.features, settings.labs)
    check_host(host, sorted(settings.labs))


def serve(host: str, port: int, settings: SandboxSettings,
          catalog: Mapping[str, Feature] | None = None) -> None:
    """Serve the sandbox until interrupted, printing where to find it. Raises
    SandboxConfigError, before listening, for the mistakes `check_config` finds."""
    check_config(host, settings, catalog)
    app = create_app(settings, catalog)
    url = f"http://{host}:{port}"
    served = ", ".join(f.name for f in app.state.features)
    print(f"apilab sandbox on {url}  ({served}; docs: {url}/docs; stop with Ctrl+C)", flush=True)
    if settings.labs:
        print(f"LABS ON: {', '.join(sorted(settings.labs))} are vulnerable on purpose; this "
              "sandbox answers this machine only.", flush=True)
    use_rfc9110_reason_phrases()
    uvicorn.run(app, host=host, port=port, log_level="warning")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox_api.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: temporary)")
    parser.add_argument("--feature", action="append", default=None,
                        help="serve only this feature (repeat for several; default: all)")
    parser.add_argument("--lab", action="append", default=[], help="switch on a lab")
    parser.add_argument("--lab-secret-home", type=Path, default=None,
                        help="folder of the installation's lab secret (default: one for this run)")
    args = parser.parse_args(argv)
    settings = SandboxSettings(
        db_path=args.db, seed=args.seed, labs=frozenset(args.lab),
        features=frozenset(args.feature) if args.feature is not None else None,
        lab_secret=install_secret(args.lab_secret_home) if args.lab_secret_home else None)
    try:
        serve(args.host, args.port, settings)
    except SandboxConfigError as exc:
        sys.exit(f"apilab sandbox: {exc}")


if __name__ == "__main__":
    main()
