"""Every lesson notebook teaches by asking, proven in real Jupyter kernels against the sandbox.

Its solution runs top to bottom; the published notebook is exactly what the solution generates,
stops at its first blank when untouched, and every blank fails its self-check until answered.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from apilab.blanks import SELF_CHECK_TAG, is_self_check, published_text, solution_path
from apilab.catalog.loader import load_course
from apilab.notebooks import execute, run_notebook
from apilab.verify_notebooks import verify_notebook
from tests.helpers import FIXTURE_COURSE

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PUBLISHED = [*LESSONS, FIXTURE_COURSE / "notebooks/01-http-basics.ipynb"]
EVERY_NOTEBOOK = PUBLISHED + [solution_path(path) for path in PUBLISHED]
# The blanks of each lesson's notebook: each must fail its self-check until it is answered.
BLANKS = {"01-rest-and-http": 19, "02-auth": 12, "03-versioning": 14, "04-caching": 14, "05-security": 4}


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT).with_suffix(""))


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=[_id(p) for p in EVERY_NOTEBOOK])
def test_notebook_is_committed_clean(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"strip the outputs of {path} first: jupyter nbconvert --clear-output --inplace {path}")
    sources = "\n".join(c.source for c in notebook.cells)
    assert "SANDBOX_URL" in sources


@pytest.mark.parametrize("path", PUBLISHED, ids=[_id(p) for p in PUBLISHED])
def test_published_notebook_is_what_its_solution_generates(path: Path):
    assert path.read_text(encoding="utf-8") == published_text(solution_path(path)), (
        f"{path} differs from what {solution_path(path)} generates: edit the solution, then run "
        "apilab publish-notebooks")


@pytest.mark.parametrize("path", PUBLISHED, ids=[_id(p) for p in PUBLISHED])
def test_only_self_checks_are_locked(path: Path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        locked = cell.metadata.get("editable") is False
        folded = cell.metadata.get("jupyter", {}).get("source_hidden") is True
        assert locked == folded == is_self_check(cell) == (SELF_CHECK_TAG in cell.metadata.get("tags", []))


def test_every_lesson_notebook_is_proven_here():
    """`apilab verify` proves the notebooks its course's lessons name: the test below proves each."""
    course = load_course(ROOT)
    assert [course.notebook_path(lesson) for lesson in course.lessons if lesson.notebook] == LESSONS
    assert sorted(path.stem for path in LESSONS) == sorted(BLANKS)


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=[_id(p) for p in LESSONS])
def test_lesson_notebook_asks_and_its_solution_answers(path: Path, request: pytest.FixtureRequest):
    """What `apilab verify` proves of a lesson's notebook (the only run of these proofs here)."""
    labs = next((lesson.labs for lesson in load_course(ROOT).lessons if lesson.notebook == path.name), [])
    # a lesson whose notebook needs a lab gets the sandbox with that lab on (the only one: security)
    url = request.getfixturevalue("security_lab_url" if labs else "sandbox_url")
    verdicts = verify_notebook(path, url)
    assert all(v.ok for v in verdicts), "\n".join(f"{v.ok}: {v.detail}" for v in verdicts)
    assert {v.subject for v in verdicts} == {f"notebook {path.stem}"}
    details = [v.detail for v in verdicts]
    assert [detail.split(" (")[0].split(":")[0] for detail in details] == [
        "the published notebook is what its solution generates",
        "the solution runs to the end",
        "untouched, it stops at its first blank",
        f"each of its {BLANKS[path.stem]} blanks fails its self-check until it is answered",
    ]
    assert details[0] == "the published notebook is what its solution generates"
    assert "is still a blank (...)" in details[2]


# --- the runner and the proofs, on small notebooks made here ------------------------------------


def _notebook(*cells) -> nbformat.NotebookNode:
    made = new_notebook(cells=list(cells))
    made.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return made


@pytest.mark.slow
def test_a_failing_notebook_reports_the_cell(tmp_path: Path, sandbox_url: str):
    notebook = _notebook(
        new_markdown_cell("# broken"),
        new_code_cell("import os\nurl = os.environ['SANDBOX_URL']"),
        new_code_cell("assert url == 'elsewhere', 'wrong sandbox: ' + url"),
        new_code_cell("print('never reached')"),
    )
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook, path)
    result = run_notebook(path, sandbox_url, timeout=30)
    assert not result.ok
    assert result.error is not None
    assert result.error.cell_index == 2
    assert result.error.ename == "AssertionError"
    assert sandbox_url in result.error.evalue  # the kernel saw the URL we passed
    assert result.cells_run == 2
    assert result.summary() == f"broken.ipynb: cell 3 raised AssertionError: wrong sandbox: {sandbox_url}"


@pytest.mark.slow
def test_notebooks_run_at_once_in_threads_after_one_ran_in_the_starting_thread(tmp_path: Path):
    # apilab verify runs notebooks in threads, at once. They used to share the event loop that
    # jupyter_core had made for a notebook run earlier in the starting thread (the threads
    # inherit its context), and all but one failed with "This event loop is already running".
    def sandbox_seen() -> nbformat.NotebookNode:
        return _notebook(new_code_cell("import os\nassert os.environ['SANDBOX_URL'] == 'http://sandbox.test'"))

    assert execute(sandbox_seen(), tmp_path / "first.ipynb", "http://sandbox.test").ok

    async def at_once() -> list:
        return await asyncio.gather(*(asyncio.to_thread(
            execute, sandbox_seen(), tmp_path / f"{n}.ipynb", "http://sandbox.test") for n in range(3)))

    results = asyncio.run(at_once())
    assert [(result.ok, result.cells_run) for result in results] == [(True, 1)] * 3


@pytest.mark.slow
def test_keep_going_lists_every_failing_cell_and_a_self_check_shows_no_traceback(tmp_path, sandbox_url):
    notebook = _notebook(
        new_code_cell("from apilab.selfcheck import expect, self_check"),
        new_code_cell('with self_check("t"):\n    expect(False, "PUT replaces the whole book.")'),
        new_code_cell("1 / 0"),
        new_code_cell("print('still ran')"),
    )
    result = execute(notebook, tmp_path / "probe.ipynb", sandbox_url, keep_going=True)
    failed = [(e.cell_index, e.ename) for e in result.errors]
    assert failed == [(1, "SelfCheckFailed"), (2, "ZeroDivisionError")]
    assert result.cells_run == 4
    # What the learner sees in Jupyter: the sentence, not the frames of apilab.selfcheck
    assert notebook.cells[1].outputs[0]["traceback"] == [
        "\x1b[31m✗ Not yet:\x1b[0m PUT replaces the whole book."]


@pytest.mark.slow
def test_a_self_check_that_passes_with_its_blank_left_fails_verification(tmp_path, sandbox_url):
    """A blank nobody checks would let an untouched copy count as done: verification says which."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    solution = _notebook(
        new_code_cell("import os\nfrom apilab.selfcheck import answered, expect, self_check\n"
                      "SANDBOX_URL = os.environ['SANDBOX_URL']"),
        new_markdown_cell("## Your turn: two answers"),
        new_code_cell("checked = 204  # blank: checked\nforgotten = 404  # blank: never checked"),
        new_code_cell('with self_check("only one answer"):\n    answered("checked")\n'
                      '    expect(checked == 204, "DELETE answers 204.")'),
    )
    nbformat.write(solution, solutions / "weak.ipynb")
    published = tmp_path / "weak.ipynb"
    published.write_text(published_text(solutions / "weak.ipynb"))
    assert httpx.post(f"{sandbox_url}/admin/reset", trust_env=False).status_code == 204

    verdicts = verify_notebook(published, sandbox_url)

    assert [v.ok for v in verdicts] == [True, True, True, False]
    assert verdicts[3].detail == ("with `forgotten` left blank (cell 3), its self-check passes")
