"""The languages exercises ship starters in, and how apilab runs a server written in each.

A starter for language `id` lives in `exercises/<slug>/starter/<id>/`. A server is run with its
language's command from inside its folder, with `PORT` (and `SANDBOX_URL`) in its environment;
`$PORT` in a command's words is replaced by the port too. Any other language runs with a command
the learner gives (`apilab serve EXERCISE --cmd "go run ."`).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

PORT_VARIABLE = "PORT"


@dataclass(frozen=True)
class Language:
    id: str  # as in `apilab start EXERCISE --lang ID` and `starter/ID/`
    name: str
    entry: str  # the file that marks a workspace in this language
    command: tuple[str, ...]  # how to run it, from inside its folder

    def command_for(self, port: int) -> list[str]:
        return with_port(list(self.command), port)


LANGUAGES = {
    language.id: language for language in (
        Language("python", "Python (FastAPI)", "app.py",
                 (sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", "$PORT")),
        Language("js", "JavaScript (Node.js)", "server.js", ("node", "server.js")),
    )
}
DEFAULT_LANGUAGE = "python"


def detect(folder: Path) -> Language | None:
    """The language of the server in `folder`, known by its entry file; None if no entry file."""
    return next((lang for lang in LANGUAGES.values() if (folder / lang.entry).is_file()), None)


def parse_command(text: str) -> list[str]:
    """A command line split as a POSIX shell would split it (it runs without a shell).
    ValueError, saying what is wrong, for an empty command or unbalanced quotes."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot read the command {text!r}: {exc}") from None
    if not words:
        raise ValueError("the command is empty")
    return words


def with_port(command: list[str], port: int) -> list[str]:
    """`command` with `$PORT` (or `${PORT}`) in its words replaced by the port."""
    return [word.replace("${PORT}", str(port)).replace("$PORT", str(port)) for word in command]


def shown(command: list[str]) -> str:
    """A command as a learner would type it (`python` for apilab's own interpreter), with `$PORT`
    as they wrote it: quoted (`'$PORT'`), it would read as a word apilab leaves alone."""
    return " ".join(_shown_word("python" if word == sys.executable else word) for word in command)


def _shown_word(word: str) -> str:
    without_port = with_port([word], 0)[0]
    if without_port != word and shlex.quote(without_port) == without_port:
        return word  # nothing in it needs quoting but the port's placeholder
    return shlex.quote(word)
