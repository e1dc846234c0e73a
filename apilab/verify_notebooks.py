"""What `apilab verify` proves about a lesson's notebook, each against a freshly seeded sandbox.

1. The published notebook is exactly what its solution generates (`apilab publish-notebooks`).
2. The solution notebook runs top to bottom.
3. The published notebook, untouched, stops at the self-check of its first blank, saying so.
4. Every blank is caught: with only that answer left blank, its self-check fails. The probe
   runs the solution once, in one kernel, with each answer cell first run with one blank left
   and its self-check expected to fail, as mutants prove an exercise's checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import nbformat

from apilab.blanks import (
    Blank,
    BlankError,
    blank_out,
    find_blanks,
    heading_above,
    published_text,
    self_check_after,
    solution_path,
)
from apilab.notebook_check import SELF_CHECK_FAILED
from apilab.notebooks import NotebookError, execute, run_notebook
from apilab.verify import Verdict


def verify_notebook(published: Path, sandbox_url: str | None = None,
                    labs: tuple[str, ...] = ()) -> list[Verdict]:
    """Prove one lesson notebook and its solution; one verdict per proof.

    Each run starts from the sandbox's seed data, on `sandbox_url` (which is reset before each
    run) or, by default, on a sandbox started for the purpose with the `labs` the lesson needs."""
    subject, solution = f"notebook {published.stem}", solution_path(published)
    if not solution.is_file():
        return [Verdict(False, subject, f"its solution is missing: write the answers in {solution}, "
                        "mark them with `# blank`, then run apilab publish-notebooks")]
    try:
        generated = published_text(solution) == published.read_text(encoding="utf-8")
        blanks = find_blanks(nbformat.read(solution, as_version=4))
    except BlankError as exc:
        return [Verdict(False, subject, f"its solution breaks the convention: {exc}")]
    except (OSError, ValueError) as exc:  # a notebook that is not valid JSON, or not readable
        return [Verdict(False, subject, f"cannot be read: {exc}")]
    verdicts = [Verdict(generated, subject, "the published notebook is what its solution generates"
                        if generated else "the published notebook differs from what its solution "
                        "generates: run apilab publish-notebooks")]
    if not blanks:
        verdicts.append(Verdict(False, subject, "it has no blanks: mark the learner's answers in the "
                                "solution with `# blank`, so that the notebook asks"))
    from apilab.sandbox_process import SandboxError

    try:
        with _sandbox(sandbox_url, labs) as url:
            verdicts.append(_solution_runs(subject, solution, url))
            if blanks:
                verdicts.append(_untouched_stops_at_first_blank(subject, published, blanks[0], url))
                verdicts.append(_every_blank_caught(subject, solution, blanks, url))
    except SandboxError as exc:
        verdicts.append(Verdict(False, subject, f"the sandbox did not start: {exc}"))
    return verdicts


def probe_notebook(solution: nbformat.NotebookNode,
                   blanks: list[Blank]) -> tuple[nbformat.NotebookNode, dict[int, Blank]]:
    """The solution with, before each answer cell, one probe per blank: the cell with that blank
    left, then its self-check. Returns the notebook and, by cell index, the blank each probe's
    self-check must fail on."""
    probe = nbformat.v4.new_notebook(metadata=solution.metadata)
    expected: dict[int, Blank] = {}
    by_cell: dict[int, list[Blank]] = {}
    for blank in blanks:
        by_cell.setdefault(blank.cell, []).append(blank)
    for index, cell in enumerate(solution.cells):
        for number, blank in enumerate(by_cell.get(index, [])):
            check = solution.cells[self_check_after(solution, index)]
            probe.cells.append(_copy(cell, f"p{number}", blank_out(cell.source, index, only=number)))
            expected[len(probe.cells)] = blank
            probe.cells.append(_copy(check, f"p{number}", check.source))
        probe.cells.append(_copy(cell, "", cell.source))
    return probe, expected


def _solution_runs(subject: str, solution: Path, sandbox_url: str) -> Verdict:
    _reset(sandbox_url)
    result = run_notebook(solution, sandbox_url)
    return Verdict(result.ok, subject,
                   f"the solution runs to the end ({result.cells_run} cells, {result.duration:.1f} s)"
                   if result.ok else f"the solution should run to the end but {_error_text(result.error)}")


def _untouched_stops_at_first_blank(subject: str, published: Path, first: Blank,
                                    sandbox_url: str) -> Verdict:
    _reset(sandbox_url)
    result = run_notebook(published, sandbox_url)
    notebook = nbformat.read(published, as_version=4)
    expected = self_check_after(notebook, first.cell)
    error = result.error
    if error is not None and error.cell_index == expected and error.ename == SELF_CHECK_FAILED:
        return Verdict(True, subject, f"untouched, it stops at its first blank (cell {first.cell + 1}, "
                       f"“{heading_above(notebook, first.cell)}”): {error.evalue}")
    if error is None:
        return Verdict(False, subject, "untouched, it runs to the end: its self-checks pass with "
                       "the blanks left")
    return Verdict(False, subject, f"untouched, it should stop at the self-check in cell "
                   f"{expected + 1} (first blank: {first.target}) but {_error_text(error)}")


def _every_blank_caught(subject: str, solution: Path, blanks: list[Blank], sandbox_url: str) -> Verdict:
    notebook = nbformat.read(solution, as_version=4)
    probe, expected = probe_notebook(notebook, blanks)
    _reset(sandbox_url)
    result = execute(probe, solution, sandbox_url, keep_going=True)
    failed = {error.cell_index: error for error in result.errors}
    problems = [f"with `{blank.target}` left blank (cell {blank.cell + 1}), its self-check "
                + ("passes" if index not in failed else f"raises {_what(failed[index])}")
                for index, blank in expected.items()
                if index not in failed or failed[index].ename != SELF_CHECK_FAILED]
    origin = {cell.id: index for index, cell in enumerate(notebook.cells)}
    problems += [f"cell {origin[probe.cells[index].id.split('-p')[0]] + 1} raises {_what(error)}"
                 + (" when one of its blanks is left" if "-p" in probe.cells[index].id else "")
                 for index, error in failed.items() if index not in expected]
    if problems:
        return Verdict(False, subject, "; ".join(problems[:3]))
    return Verdict(True, subject, f"each of its {len(blanks)} blanks fails its self-check until "
                   "it is answered")


@contextmanager
def _sandbox(url: str | None, labs: tuple[str, ...]) -> Iterator[str]:
    if url is not None:
        yield url
        return
    from apilab.sandbox_process import SandboxProcess

    with SandboxProcess(labs=labs) as sandbox:
        yield sandbox.url


def _reset(sandbox_url: str) -> None:
    httpx.post(f"{sandbox_url}/admin/reset", timeout=10, trust_env=False).raise_for_status()


def _copy(cell: nbformat.NotebookNode, suffix: str, source: str) -> nbformat.NotebookNode:
    copied = nbformat.from_dict({**cell, "source": source})
    if suffix:  # cell ids stay unique in the probe notebook
        copied.id = f"{cell.id}-{suffix}"[:64]
    if copied.cell_type == "code":
        copied.outputs, copied.execution_count = [], None
    return copied


def _what(error: NotebookError) -> str:
    first = error.evalue.strip().splitlines()[0] if error.evalue.strip() else ""
    return f"{error.ename}: {first}"


def _error_text(error: NotebookError | None) -> str:
    return "nothing failed" if error is None else f"cell {error.cell_index + 1} raised {_what(error)}"
