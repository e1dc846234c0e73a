"""Which command runs a learner's server: the one they gave, else their workspace's language's.

A command given once (`apilab serve EXERCISE --cmd "go run ."`, or `c` in the app) is remembered
for that exercise in `APILAB_HOME/server-commands.json`, so the app and `apilab serve` run the
same server; `--cmd default` forgets it, and so does starting the exercise over.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from apilab import paths
from apilab.languages import LANGUAGES, detect, parse_command, shown

DEFAULT = "default"  # given as the command, forgets the remembered one


class CommandError(Exception):
    """No command can run this server; the message says how to give one."""


@dataclass(frozen=True)
class ServerCommand:
    words: list[str]  # `$PORT` not yet replaced
    origin: str  # where it came from, for the learner: "Python (FastAPI)", "your command"

    @property
    def shown(self) -> str:
        return shown(self.words)


def _path() -> Path:
    return paths.data_home() / "server-commands.json"


def _load() -> dict[str, list[str]]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none remembered yet, or a damaged file: the defaults still work
    return {k: v for k, v in data.items() if isinstance(v, list) and v} if isinstance(data, dict) else {}


def remember(exercise: str, words: list[str] | None) -> None:
    """Keep (or with None, forget) the command for `exercise`, replacing the file atomically."""
    commands = _load()
    if words is None:
        if commands.pop(exercise, None) is None:
            return
    else:
        commands[exercise] = words
    target = _path()
    with contextlib.suppress(OSError):  # not remembering is no reason to refuse to serve
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".server-commands-")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(commands, file, indent=2)
        os.replace(temporary, target)


def resolve(folder: Path, exercise: str, given: str | None = None,
            remember_it: bool = True) -> ServerCommand:
    """The command that runs the server in `folder`: `given`, else the one remembered for
    `exercise`, else the default of the language found in `folder`. With `remember_it` (the
    learner's workspace, not a starter or solution), a given command is remembered from now on.

    CommandError when there is none, or `given` cannot be read.
    """
    if given is not None and given.strip() != DEFAULT:
        try:
            words = parse_command(given)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if remember_it:
            remember(exercise, words)
        return ServerCommand(words, "your command")
    if given is not None and remember_it:
        remember(exercise, None)
    elif given is None and remember_it and (words := _load().get(exercise)):
        return ServerCommand(words, "your command, remembered")
    language = detect(folder)
    if language is None:
        entries = " or ".join(f"{lang.entry} ({lang.name})" for lang in LANGUAGES.values())
        raise CommandError(f"{folder} has no {entries}, so apilab does not know how to run your "
                           "server: give the command that runs it (it finds its port in PORT)")
    return ServerCommand(list(language.command), language.name)
