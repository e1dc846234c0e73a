"""Every command and option of `apilab` is in the README, where a user looks for it: a new option
that nobody documented fails here (as datasette checks its own documentation)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from apilab.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks() -> list[str]:
    """The README's paragraphs and code blocks, each row of a table on its own."""
    found = []
    for paragraph in re.split(r"\n\s*\n", README.read_text(encoding="utf-8")):
        rows = [line for line in paragraph.splitlines() if line.startswith("|")]
        found += rows or [" ".join(paragraph.split())]
    return found


Named = tuple[tuple[str, ...], click.Command]


def commands(command: click.Command = main, path: tuple[str, ...] = ()) -> Iterator[Named]:
    if path:
        yield path, command
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None
            yield from commands(sub, (*path, name))


def mentions(block: str, path: tuple[str, ...]) -> bool:
    """`apilab app` is also written `apilab [app]`; a subcommand may be one of a list
    (`apilab hub serve|init|users`)."""
    if path == ("app",):
        return "apilab [app]" in block or "apilab app" in block
    if f"apilab {path[0]}" not in block:
        return False
    return len(path) == 1 or re.search(rf"(?<![\w-]){re.escape(path[-1])}(?![\w-])", block) is not None


def undocumented(path: tuple[str, ...], command: click.Command) -> list[str]:
    """What of `apilab PATH` no README paragraph about it names: the command, or its options."""
    about = [block for block in blocks() if mentions(block, path)]
    if not about:
        return [f"apilab {' '.join(path)}"]
    missing = []
    for option in command.params:
        if not isinstance(option, click.Option) or option.hidden or "--help" in option.opts:
            continue
        names = [*option.opts, *option.secondary_opts]
        if not any(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", block)
                   for block in about for name in names):
            missing.append(max(names, key=len))
    return missing


COMMANDS = list(commands())


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(path) for path, _ in COMMANDS])
def test_the_command_and_each_of_its_options_are_documented(path, command):
    assert undocumented(path, command) == [], (
        "README.md does not say what these do: add them to the Commands table, or to the "
        "paragraph that describes the command")


def test_an_undocumented_option_or_command_is_found():
    check = click.Command("check", params=[click.Option(["--all"]), click.Option(["--no-such-option"])])
    assert undocumented(("check",), check) == ["--no-such-option"]
    assert undocumented(("no-such-command",), click.Command("no-such-command")) == [
        "apilab no-such-command"]
