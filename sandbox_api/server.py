"""Run the sandbox with uvicorn: `serve()` for the CLI, and a `__main__` for child processes
(`python -m sandbox_api.server --host 127.0.0.1 --port 8000 --seed 42`)."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from sandbox_api.app import create_app
from sandbox_api.settings import SandboxSettings


def serve(host: str, port: int, settings: SandboxSettings) -> None:
    """Serve the sandbox until interrupted, printing where to find it."""
    app = create_app(settings)
    url = f"http://{host}:{port}"
    print(f"apilab sandbox on {url}  (docs: {url}/docs; stop with Ctrl+C)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox_api.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: temporary)")
    parser.add_argument("--lab", action="append", default=[], help="switch on a lab weakness")
    args = parser.parse_args(argv)
    settings = SandboxSettings(db_path=args.db, seed=args.seed, labs=frozenset(args.lab))
    serve(args.host, args.port, settings)


if __name__ == "__main__":
    main()
