"""Commands that run programs in the foreground (a server, Jupyter) until the learner stops them."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

import click

EXIT_GRACE = 5.0  # seconds a command has to unwind after SIGHUP or SIGTERM stopped what it started


def until_stopped(processes, run: Callable[[], object]) -> None:
    """Call `run()` until it returns, Ctrl-C, or SIGHUP or SIGTERM (a closed terminal, `kill`);
    however it ends, every program `processes` started is stopped before apilab exits."""
    from apilab.processes import ending_on_signals, exit_soon

    def end(signum: int) -> None:
        processes.stop_all(final=True)
        exit_soon(128 + signum, EXIT_GRACE)  # what it started is stopped: only unwinding is left
        raise SystemExit(128 + signum)

    try:
        with ending_on_signals(end):
            run()
    except KeyboardInterrupt:
        processes.stop_all(final=True)
        with contextlib.suppress(OSError):  # the terminal may be gone
            click.echo("apilab: stopped.", err=True)
        sys.exit(130)
    finally:
        processes.stop_all(final=True)


def echo_notices(notices: list[str]) -> None:
    for notice in notices:
        click.echo(f"apilab: {notice}", err=True)
