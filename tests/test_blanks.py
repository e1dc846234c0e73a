"""The authoring convention: a solution notebook's `# blank` marks become the learner's blanks."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from apilab.blanks import (
    SELF_CHECK_TAG,
    BlankError,
    blank_out,
    find_blanks,
    heading_above,
    published_from_solution,
    remaining_blanks,
)
from apilab.cli import main
from tests.helpers import FIXTURE_COURSE

CHECK = 'with self_check("it holds"):\n    answered("x")'


def notebook(*sources: str) -> nbformat.NotebookNode:
    """Cells from sources: Markdown when they start with '#', code otherwise."""
    cells = [new_markdown_cell(s) if s.startswith("# ") else new_code_cell(s) for s in sources]
    return new_notebook(cells=cells)


def test_a_marked_value_becomes_a_blank_and_the_comment_its_prompt():
    assert blank_out('x = api.get("/books")  # blank: the request that lists books') == (
        "x = ...  # the request that lists books")
    assert blank_out("x = 204  # blank") == "x = ..."
    annotated = "a = 1\nx: int = 2  # blank: a number\nb = 3\n"
    assert blank_out(annotated) == "a = 1\nx: int = ...  # a number\nb = 3\n"


def test_a_value_over_several_lines_becomes_one_blank_line():
    source = 'created = api.post(  # blank: the request\n    "/books",\n    json=book,\n)\nshow(created)\n'
    assert blank_out(source) == "created = ...  # the request\nshow(created)\n"


def test_a_blank_inside_a_function_keeps_its_indentation():
    source = "def walk():\n    while True:\n        page = api.get(url)  # blank: the next page\n"
    assert blank_out(source) == "def walk():\n    while True:\n        page = ...  # the next page\n"


def test_non_ascii_text_before_the_value_is_kept_whole():
    # ast counts columns in UTF-8 bytes: a name with é must not lose or split a character
    assert blank_out('café = "crème"  # blank: où') == "café = ...  # où"


def test_only_one_blank_of_a_cell_can_be_left():
    source = "a = 1  # blank: first\nb = 2  # blank: second\n"
    assert blank_out(source, only=1) == "a = 1  # blank: first\nb = ...  # second\n"


def test_published_notebook_has_blanks_locked_self_checks_and_no_outputs():
    solution = notebook("# Your turn", "x = 6 * 7  # blank: the answer", CHECK, "print('teaching')")
    solution.cells[1].outputs = [nbformat.v4.new_output("stream", text="old")]
    solution.cells[1].execution_count = 3
    published = published_from_solution(solution)
    answer, check, teaching = published.cells[1:]
    assert answer.source == "x = ...  # the answer"
    assert answer.outputs == [] and answer.execution_count is None
    assert check.metadata == {"editable": False, "deletable": False, "jupyter": {"source_hidden": True},
                              "tags": [SELF_CHECK_TAG]}
    assert teaching.metadata == {}
    assert [c.id for c in published.cells] == [c.id for c in solution.cells]
    assert solution.cells[1].source.startswith("x = 6 * 7")  # the solution is not changed


def test_find_blanks_names_each_answer():
    found = find_blanks(notebook("# Your turn", "n = 1\nx = n + 1  # blank: two", CHECK))
    assert [(b.cell, b.line, b.target, b.prompt) for b in found] == [(1, 2, "x", "two")]


@pytest.mark.parametrize("cells, message", [
    (["print(x)  # blank: oops", CHECK], "cell 1, line 1: `# blank` must end an assignment"),
    (["x = ...  # blank: later", CHECK], "the solution leaves this answer blank"),
    (["x = {  # blank: a\n  'k': 1,  # blank: b\n}", CHECK], "one assignment has two `# blank` marks"),
    (["x = 1  # blank: alone", "print(x)"], "the next code cell is not a self-check"),
    (["x = 1  # blank: last"], "the next code cell is not a self-check"),
    ([CHECK + "\nx = 1  # blank: inside"], "cell 1 is a self-check and has a `# blank`"),
    (["x = (  # blank: unclosed"], "cell 1 is not valid Python"),
])
def test_a_solution_that_breaks_the_convention_is_refused_with_the_cell_named(cells, message):
    with pytest.raises(BlankError, match=message.replace("(", r"\(").replace("`", "`")):
        published_from_solution(notebook(*cells))


def test_remaining_blanks_are_found_in_a_learners_copy_in_order():
    copy = notebook("x = 1", "y = ...  # the status", "def f():\n    z = ...\n", "broken = (")
    assert remaining_blanks(copy) == [(1, "y = ...  # the status"), (2, "z = ...")]


def test_a_cell_is_named_by_the_last_heading_above_it():
    nb = notebook("# Lesson\n\n## Part\n\ntext", "x = 1", "# Part two", "y = 2")
    assert heading_above(nb, 1) == "Part"
    assert heading_above(nb, 3) == "Part two"
    assert heading_above(nb, 0) == ""


def test_an_error_names_the_cell_by_its_heading_too():
    where = "cell 2 \\(under “Your turn: create a book”\\), line 1"
    with pytest.raises(BlankError, match=f"{where}: `# blank` must end an assignment"):
        find_blanks(notebook("# Your turn: create a book", "show(api.post('/books'))  # blank: oops", CHECK))


def test_publish_notebooks_writes_the_published_notebook_from_its_solution(tmp_path, monkeypatch):
    course = tmp_path / "course"
    shutil.copytree(FIXTURE_COURSE, course, ignore=shutil.ignore_patterns("__pycache__", "work"))
    monkeypatch.setenv("APILAB_COURSE", str(course))
    published = course / "notebooks/01-http-basics.ipynb"
    solution = course / "notebooks/solutions/01-http-basics.ipynb"
    cli = CliRunner()

    assert cli.invoke(main, ["publish-notebooks"]).output == f"{published} is up to date (2 blanks)\n"

    solution.write_text(solution.read_text().replace("# blank: the status GET /health answers",
                                                     "# blank: what does GET /health answer?"))
    assert cli.invoke(main, ["publish-notebooks", "1"]).output == (
        f"Wrote {published} from its solution (2 blanks)\n")
    assert "health = ...  # what does GET /health answer?" in published.read_text()

    solution.write_text(solution.read_text().replace("health = httpx", "httpx"))
    broken = cli.invoke(main, ["publish-notebooks"])
    assert broken.exit_code == 1
    assert "cell 4 (under “Your turn: is it up?”), line 1: `# blank` must end an assignment" in broken.output
    assert "what does GET /health answer?" in published.read_text()  # left as it was

    assert cli.invoke(main, ["publish-notebooks", "2"]).output == "Lesson 2 (auth-basics) has no notebook.\n"
