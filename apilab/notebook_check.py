"""`apilab notebook N --check`: run a learner's copy of a notebook and say how far it got.

The copy runs top to bottom with the course's own self-check cells (matched by cell id), as
nbgrader restores its test cells before grading: a record that says "done" means the course's
checks passed, whatever happened to the copy's. When it stops, the message names the first
unfinished cell the way a learner finds it (its number and the heading above it) and the blank
left in it, instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from apilab.blanks import SELF_CHECK_TAG, heading_above, remaining_blanks
from apilab.notebooks import NotebookError, NotebookResult, execute
from apilab.untrusted import clean

SELF_CHECK_FAILED = "SelfCheckFailed"  # the exception apilab.selfcheck raises in the kernel


class CopyError(Exception):
    """The copy cannot be checked as it is; the message says why and what to do."""


@dataclass(frozen=True)
class CopyCheck:
    """How a learner's copy ran: `result`, and when it stopped, what is unfinished, in words."""

    result: NotebookResult
    unfinished: str | None
    replaced: tuple[int, ...] = ()  # cells (0-based) whose edited self-check ran as published

    @property
    def ok(self) -> bool:
        return self.result.ok

    def short(self) -> str:
        """One line for the progress store."""
        error = self.result.error
        return "" if error is None else clean(f"cell {error.cell_index + 1}: {_first_line(error.evalue)}")


@dataclass(frozen=True)
class PreparedCopy:
    """A learner's copy, ready to run: its cells, with the course's self-checks in place."""

    path: Path
    notebook: nbformat.NotebookNode
    replaced: tuple[int, ...]  # cells (0-based) whose edited self-check will run as published


def prepare_copy(copy: Path, published: Path) -> PreparedCopy:
    """Read `copy` and put `published`'s self-check cells in place of its own (by cell id).

    `CopyError` when the copy cannot be read or lacks some of the course's self-checks (a copy
    made from an older notebook, or cells deleted): nothing would prove the lesson done."""
    notebook = _read(copy)
    replaced = _with_course_self_checks(notebook, nbformat.read(published, as_version=4))
    return PreparedCopy(copy, notebook, tuple(replaced))


def check_copy(prepared: PreparedCopy, sandbox_url: str, timeout: int = 60) -> CopyCheck:
    """Run a prepared copy against `sandbox_url`; say what is unfinished when it stops."""
    result = execute(prepared.notebook, prepared.path, sandbox_url, timeout)
    unfinished = None if result.error is None else describe_stop(prepared.notebook, result.error)
    return CopyCheck(result, unfinished, prepared.replaced)


def describe_stop(notebook: nbformat.NotebookNode, error: NotebookError) -> str:
    """What stopped the run at `error`, for the learner: the first unfinished cell and why.

    What the kernel said and what the copy holds may carry anything a server sent into the
    notebook, so they are cleaned of terminal controls (`apilab.untrusted`)."""
    return clean(_describe_stop(notebook, error))


def _describe_stop(notebook: nbformat.NotebookNode, error: NotebookError) -> str:
    blanks = remaining_blanks(notebook)
    before = [(cell, line) for cell, line in blanks if cell < error.cell_index]
    left = f"{len(blanks)} blank{'s' if len(blanks) != 1 else ''} left in your copy."
    if before:
        cell, line = before[0]
        said = (f"\nIts self-check says: {error.evalue}" if error.ename == SELF_CHECK_FAILED else
                f"\nThe run stopped at cell {error.cell_index + 1}, which raised {error.ename}: "
                f"{_first_line(error.evalue)}")
        return (f"The first unfinished cell is cell {cell + 1}, {_label(notebook, cell)}. It still has "
                f"a blank:\n    {line}{said}\n{left}")
    where = f"cell {error.cell_index + 1}, {_label(notebook, error.cell_index)}"
    if error.ename == SELF_CHECK_FAILED:
        tail = f"\n{left}" if blanks else ""
        return (f"The self-check in {where}, does not pass yet: {error.evalue}\nFix your answers "
                f"in the cells above it, run them, then the self-check.{tail}")
    return f"The notebook stopped at {where}, which raised {error.ename}: {_first_line(error.evalue)}"


def _read(copy: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(copy, as_version=4)
    except (OSError, ValueError) as exc:  # nbformat's read errors are ValueErrors
        raise CopyError(f"your copy {copy} is not a notebook that can be read ({exc}).") from None


def _with_course_self_checks(copy: nbformat.NotebookNode, published: nbformat.NotebookNode) -> list[int]:
    """Put the course's self-check cells in place of the copy's; the cells whose source changed."""
    checks = {cell.id: cell for cell in published.cells if SELF_CHECK_TAG in cell.metadata.get("tags", [])}
    found, replaced = set(), []
    for index, cell in enumerate(copy.cells):
        original = checks.get(cell.get("id"))
        if original is None:
            continue
        found.add(cell.id)
        if cell.source != original.source:
            replaced.append(index)
        copy.cells[index] = nbformat.from_dict({**original, "outputs": [], "execution_count": None})
    if missing := [cell_id for cell_id in checks if cell_id not in found]:
        first = next(i for i, cell in enumerate(published.cells) if cell.id == missing[0])
        raise CopyError(
            f"your copy lacks {len(missing)} of the notebook's {len(checks)} self-checks, the first "
            f"one under “{heading_above(published, first)}”. It was probably made from an older "
            "version of the notebook, or the cells were deleted.")
    return replaced


def _label(notebook: nbformat.NotebookNode, index: int) -> str:
    heading = heading_above(notebook, index)
    if heading:
        return f"under “{heading}”"
    first = notebook.cells[index].source.strip().splitlines()[:1]
    return f"“{first[0][:60]}”" if first else "(empty)"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
