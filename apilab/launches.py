"""What apilab has started, written down under APILAB_HOME, so that nothing outlives it unseen.

Every program apilab starts (a learner's server, Jupyter, the sandbox) gets a record in
`APILAB_HOME/processes/<id>.json`: what it runs, where, on which port, its pid and process group,
when it started, and which apilab process owns it. The owner deletes the record when it stops the
program. A record whose owner is gone (apilab was killed, or crashed past every `finally`) names
a leftover; the next apilab finds it, stops what is still running of it and says what it was,
so a stale server is never graded in place of the learner's current one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from apilab import languages, paths

KINDS = {"server": "your server", "jupyter": "Jupyter", "sandbox": "the sandbox"}


@dataclass(frozen=True)
class Launch:
    """One program apilab started, and the apilab process responsible for stopping it."""

    id: str  # also the value of APILAB_LAUNCH in its environment
    kind: str  # server, jupyter or sandbox
    command: list[str]
    cwd: str | None
    port: int | None
    pid: int
    pgid: int
    started_at: str  # ISO 8601, local time with its offset
    owner_pid: int
    owner_started: float | None  # when the owner started, since boot (pids are reused)
    exercise: str | None = None

    @property
    def shown_command(self) -> str:
        return languages.shown(self.command)

    def describe(self) -> str:
        """One line: what it is, what it runs, where, on which port, since when."""
        where = f" in {self.cwd}" if self.cwd else ""
        port = f" on port {self.port}" if self.port else ""
        started = datetime.fromisoformat(self.started_at).strftime("%Y-%m-%d %H:%M")
        return (f"{KINDS.get(self.kind, self.kind)} ({self.shown_command}){where}{port}, "
                f"started {started} (pid {self.pid})")

    def owner_alive(self) -> bool:
        # process_tree (psutil) loads only when there is a launch to ask about: `apilab check`
        # with nothing recorded never pays for it.
        from apilab import process_tree

        started = process_tree.identity(self.owner_pid)
        return started is not None and (self.owner_started is None or
                                        abs(started - self.owner_started) < 1)


def folder() -> Path:
    return paths.data_home() / "processes"


def record(launch: Launch) -> Path:
    """Write a launch's record atomically; the path to give to `forget`."""
    target = folder() / f"{launch.id}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".launch-")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(asdict(launch), file, indent=2)
    os.replace(temporary, target)
    return target


def forget(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def current() -> list[Launch]:
    """Every recorded launch, live or left over, oldest first. Unreadable records are skipped
    (and removed: a record cut short by a crash names nothing that can be found)."""
    launches = []
    for path in sorted(folder().glob("*.json"), key=_mtime):
        try:
            launches.append(Launch(**json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            forget(path)
    return launches


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def serving(port: int) -> Launch | None:
    """The live launch (its apilab still running) that listens on `port`, if apilab started
    what is there."""
    for launch in current():
        if launch.port == port and launch.owner_alive():
            return launch
    return None


def stop_leftovers() -> list[str]:
    """Stop what earlier apilab processes started and left running when they ended without
    stopping it; one line per leftover stopped, saying what it was. Records of programs that
    are already gone are removed quietly."""
    stopped = []
    for launch in current():
        if launch.owner_alive():
            continue
        from apilab import process_tree

        if process_tree.stop(None, launch.id):
            stopped.append(f"Stopped {launch.describe()}: it was left running by an apilab that "
                           f"ended without stopping it (pid {launch.owner_pid}).")
        forget(folder() / f"{launch.id}.json")
    return stopped


def server_at(url: str) -> Launch | None:
    """The learner's server that a live apilab runs at `url` (a loopback address), if any."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if port is None or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    launch = serving(port)
    return launch if launch is not None and launch.kind == "server" else None
