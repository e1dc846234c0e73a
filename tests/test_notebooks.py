"""Every lesson notebook runs top to bottom, in a real Jupyter kernel, against a fresh sandbox."""

from __future__ import annotations

from pathlib import Path

import httpx
import nbformat
import pytest

from apilab.notebooks import run_notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_errors(path: Path, sandbox_url: str):
    assert httpx.post(f"{sandbox_url}/admin/reset").status_code == 204  # fresh seed data
    result = run_notebook(path, sandbox_url, timeout=60)
    assert result.ok, result.summary()
    assert result.error is None
    assert result.cells_run == sum(1 for c in nbformat.read(path, 4).cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_clean(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "strip outputs first"
    sources = "\n".join(c.source for c in notebook.cells)
    assert "SANDBOX_URL" in sources


@pytest.mark.slow
def test_a_failing_notebook_reports_the_cell(tmp_path: Path, sandbox_url: str):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# broken"),
            nbformat.v4.new_code_cell("import os\nurl = os.environ['SANDBOX_URL']"),
            nbformat.v4.new_code_cell("assert url == 'elsewhere', 'wrong sandbox: ' + url"),
            nbformat.v4.new_code_cell("print('never reached')"),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook, path)
    result = run_notebook(path, sandbox_url, timeout=30)
    assert not result.ok
    assert result.error is not None
    assert result.error.cell_index == 2
    assert result.error.ename == "AssertionError"
    assert sandbox_url in result.error.evalue  # the kernel saw the URL we passed
    assert result.cells_run == 2
