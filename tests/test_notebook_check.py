"""`apilab notebook N --check`: a learner's copy counts as done only when the course's self-checks
pass; until then the message names the first unfinished cell and the blank left in it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from apilab.cli import main
from apilab.notebook_check import describe_stop
from apilab.notebooks import NotebookError
from tests.helpers import FIXTURE_COURSE

SOLUTION = FIXTURE_COURSE / "notebooks/solutions/01-http-basics.ipynb"


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    """A copy of the fixture course (the learner's copy of the notebook goes in its work/)."""
    copy = tmp_path / "course"
    shutil.copytree(FIXTURE_COURSE, copy, ignore=shutil.ignore_patterns("__pycache__", "work"))
    monkeypatch.setenv("APILAB_COURSE", str(copy))
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "home"))
    return copy


def apilab(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def learners_copy(course: Path) -> Path:
    return course / "work/notebooks/01-http-basics.ipynb"


def answer(course: Path, cell_id: str, source: str | None = None) -> None:
    """Fill in a cell of the learner's copy: with `source`, or with the solution's answer."""
    path = learners_copy(course)
    notebook = json.loads(path.read_text())
    solution = {cell["id"]: cell for cell in json.loads(SOLUTION.read_text())["cells"]}
    for cell in notebook["cells"]:
        if cell["id"] == cell_id:
            cell["source"] = source if source is not None else solution[cell_id]["source"]
    path.write_text(json.dumps(notebook))


@pytest.mark.slow
def test_an_untouched_copy_names_its_first_blank_and_a_finished_one_is_recorded(course):
    untouched = apilab("notebook", "1", "--check")
    assert untouched.exit_code == 1, untouched.output
    assert ("✗ Not finished yet. The first unfinished cell is cell 4, under “Your turn: is it up?”. "
            "It still has a blank:\n    health = ...  # the status GET /health answers\n"
            "Its self-check says: `health` is still a blank (...).") in untouched.output
    assert "2 blanks left in your copy." in untouched.output
    assert "Traceback" not in untouched.output
    assert "(last check: not finished yet)" in apilab("lessons").output

    answer(course, "cell-4")
    answer(course, "cell-7")
    done = apilab("notebook", "1", "--check")
    assert done.exit_code == 0, done.output
    assert "every self-check passed. Recorded as done." in done.output
    assert "(done: every self-check passed)" in apilab("lessons").output


@pytest.mark.slow
def test_a_wrong_answer_is_explained_and_an_edited_self_check_runs_as_published(course):
    apilab("notebook", "1", "--check")  # makes the learner's copy
    answer(course, "cell-4", 'health = 404')
    answer(course, "cell-5", "pass  # my own self-check")  # unlocked and emptied in the copy
    answer(course, "cell-7")

    result = apilab("notebook", "1", "--check")

    assert result.exit_code == 1, result.output
    assert "Note: cell 5 is a self-check you changed; it ran as the course wrote it." in result.output
    assert ("The self-check in cell 5, under “Your turn: is it up?”, does not pass yet: GET /health "
            "answers 200 when the sandbox is up, not 404.") in result.output
    assert "pass  # my own self-check" in learners_copy(course).read_text()  # the copy is untouched


def test_a_copy_without_the_courses_self_checks_is_refused_and_reset_starts_over(course):
    copy = learners_copy(course)
    copy.parent.mkdir(parents=True)
    old = new_notebook(cells=[new_code_cell("status = 200  # answered by itself", id="old-1")])
    nbformat.write(old, copy)

    refused = apilab("notebook", "1", "--check")

    assert refused.exit_code == 1
    assert "your copy lacks 2 of the notebook's 2 self-checks, the first one under “Your turn: is it up?”" \
        in refused.output
    assert "Start a fresh copy with: apilab notebook 1 --reset (yours is kept as a backup)" in refused.output
    assert "(last check" not in apilab("lessons").output  # nothing was recorded

    with pytest.MonkeyPatch.context() as patch:  # open nothing: only the copy is wanted here
        patch.setattr("apilab.commands.notebooks._open_notebook", lambda processes, path, port, labs: None)
        stale = apilab("notebook", "1")
        reset = apilab("notebook", "1", "--reset")
    assert "Note: your copy lacks 2 of the notebook's 2 self-checks" in stale.output
    assert "apilab notebook 1 --reset" in stale.output
    backups = sorted(copy.parent.glob("01-http-basics.backup-*.ipynb"))
    assert reset.exit_code == 0, reset.output
    assert f"Your previous copy is kept in {backups[0]}" in reset.output
    assert "answered by itself" in backups[0].read_text()
    assert copy.read_text() == (course / "notebooks/01-http-basics.ipynb").read_text()
    assert "Note:" not in reset.output  # the fresh copy has every self-check


def test_an_unreadable_copy_says_what_to_do(course):
    copy = learners_copy(course)
    copy.parent.mkdir(parents=True)
    copy.write_text("{ not json")
    result = apilab("notebook", "1", "--check")
    assert result.exit_code == 1
    assert f"your copy {copy} is not a notebook that can be read" in result.output
    assert "Start a fresh copy with: apilab notebook 1 --reset" in result.output
    assert copy.read_text() == "{ not json"


CHECK = 'with self_check("t"):\n    answered("{}")'


def _stopped(*cells) -> nbformat.NotebookNode:
    return new_notebook(cells=list(cells))


def test_an_error_that_is_not_a_self_check_is_one_line_with_the_cell_named():
    notebook = _stopped(new_markdown_cell("## Setup"), new_code_cell("import httpx\nhttpx.get(url)"))
    error = NotebookError(1, "ConnectError", "[Errno 111] Connection refused\nmore detail")
    assert describe_stop(notebook, error) == (
        "The notebook stopped at cell 2, under “Setup”, which raised ConnectError: "
        "[Errno 111] Connection refused")


def test_a_cell_without_a_heading_above_is_named_by_its_first_line():
    notebook = _stopped(new_code_cell("x = compute()\nmore()"))
    error = NotebookError(0, "NameError", "name 'compute' is not defined")
    assert describe_stop(notebook, error) == (
        "The notebook stopped at cell 1, “x = compute()”, which raised NameError: "
        "name 'compute' is not defined")


def test_the_first_blank_left_is_named_even_after_answered_ones():
    notebook = _stopped(new_markdown_cell("## One"), new_code_cell("a = 200  # the status"),
                        new_code_cell(CHECK.format("a")), new_markdown_cell("## Two"),
                        new_code_cell("b = ...  # the header"), new_code_cell(CHECK.format("b")))
    error = NotebookError(5, "SelfCheckFailed", "`b` is still a blank (...).")
    assert describe_stop(notebook, error) == (
        "The first unfinished cell is cell 5, under “Two”. It still has a blank:\n"
        "    b = ...  # the header\nIts self-check says: `b` is still a blank (...).\n"
        "1 blank left in your copy.")


def test_a_blank_left_before_a_cell_that_breaks_on_it_is_named_with_the_error():
    notebook = _stopped(new_markdown_cell("## Create"), new_code_cell("created = ...  # the request"),
                        new_code_cell(CHECK.format("created")), new_markdown_cell("## Use it"),
                        new_code_cell("created.headers['Location']"))
    error = NotebookError(4, "AttributeError", "'ellipsis' object has no attribute 'headers'")
    assert describe_stop(notebook, error) == (
        "The first unfinished cell is cell 2, under “Create”. It still has a blank:\n"
        "    created = ...  # the request\nThe run stopped at cell 5, which raised AttributeError: "
        "'ellipsis' object has no attribute 'headers'\n1 blank left in your copy.")


def test_what_a_server_put_in_an_error_cannot_drive_the_terminal():
    notebook = _stopped(new_code_cell("httpx.get(url).raise_for_status()"))
    error = NotebookError(0, "HTTPStatusError", "Server error '500 \x1b]0;pwned\x07' for url")
    assert describe_stop(notebook, error).endswith("raised HTTPStatusError: Server error '500 "
                                                   "\\x1b]0;pwned\\x07' for url")
