"""The learner's workspace: `apilab init` makes one, commands find it from inside, and outside
one they say how to create or find it. An installed course never holds the learner's work; a
clone keeps it in `work/` as it always has.

"Installed" here is the fixture course standing in for the one a wheel carries (the wheel itself
is installed and run in test_packaging.py).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from apilab import paths, version
from apilab.catalog.loader import load_course
from apilab.cli import main
from apilab.workspace import MARKER, notebook_copy
from tests.helpers import FIXTURE_COURSE


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def installed(tmp_path, monkeypatch) -> Path:
    """The course as an installed apilab finds it: package data, no APILAB_COURSE."""
    course = tmp_path / "site-packages" / "apilab" / "course"
    shutil.copytree(FIXTURE_COURSE, course, ignore=shutil.ignore_patterns("__pycache__", "work"))
    monkeypatch.delenv("APILAB_COURSE", raising=False)
    monkeypatch.delenv("APILAB_WORKSPACE", raising=False)
    monkeypatch.setattr(paths, "installed_course", lambda: course)
    return course


@pytest.fixture
def clone(tmp_path, monkeypatch) -> Path:
    """The course as a clone of the repository holds it (APILAB_COURSE stands for the checkout)."""
    course = tmp_path / "clone"
    shutil.copytree(FIXTURE_COURSE, course, ignore=shutil.ignore_patterns("__pycache__", "work"))
    monkeypatch.setenv("APILAB_COURSE", str(course))
    monkeypatch.delenv("APILAB_WORKSPACE", raising=False)
    return course


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """The current folder: somewhere that is no workspace."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_init_makes_a_workspace_with_a_readme_and_a_gitignore(cli, installed, elsewhere):
    result = cli("init")
    assert result.exit_code == 0, result.output
    workspace = elsewhere / "apilab-course"
    assert sorted(p.name for p in workspace.iterdir()) == [".gitignore", "README.md", MARKER]
    assert f"Created your workspace: {workspace}" in result.output
    assert "cd apilab-course" in result.output and "git init" in result.output
    assert "apilab start <exercise>" in (workspace / "README.md").read_text()
    assert f'created_with = "apilab {version()}"' in (workspace / MARKER).read_text()


def test_a_workspace_under_git_keeps_the_work_and_leaves_out_caches(cli, installed, elsewhere,
                                                                      monkeypatch):
    assert cli("init", "mine").exit_code == 0
    workspace = elsewhere / "mine"
    monkeypatch.chdir(workspace)
    assert cli("start", "hello-api").exit_code == 0
    (workspace / "hello-api" / "__pycache__").mkdir()
    (workspace / "hello-api" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (workspace / "notebooks" / ".ipynb_checkpoints").mkdir(parents=True)
    (workspace / "notebooks" / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    listed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=workspace,
                            check=True, capture_output=True, text=True).stdout
    assert sorted(line[3:] for line in listed.splitlines()) == [
        ".apilab/started/hello-api.json", ".apilab/started/hello-api/README.md", ".gitignore",
        "README.md", MARKER, "hello-api/app.py"]


def test_init_changes_nothing_that_exists(cli, installed, elsewhere):
    mine = elsewhere / "mine"
    mine.mkdir()
    (mine / "README.md").write_text("my notes\n")
    result = cli("init", "mine")
    assert result.exit_code == 0, result.output
    assert "Kept your own README.md as it was." in result.output
    assert (mine / "README.md").read_text() == "my notes\n" and (mine / MARKER).is_file()
    assert (mine / ".gitignore").is_file()

    again = cli("init", "mine")
    assert again.exit_code == 0
    assert f"{mine} is already your workspace; nothing changed." in again.output
    assert (mine / "README.md").read_text() == "my notes\n"


def test_init_refuses_a_file_and_a_folder_inside_a_workspace(cli, installed, elsewhere):
    (elsewhere / "notes.txt").write_text("x")
    on_file = cli("init", "notes.txt")
    assert on_file.exit_code != 0 and "notes.txt" in on_file.output
    assert cli("init", "outer").exit_code == 0
    nested = cli("init", "outer/inner")
    assert nested.exit_code == 1
    assert f"is inside your workspace {elsewhere / 'outer'}" in nested.output
    assert not (elsewhere / "outer" / "inner").exists()


def test_commands_find_the_workspace_from_any_folder_inside_it(cli, installed, elsewhere,
                                                               monkeypatch):
    assert cli("init").exit_code == 0
    workspace = elsewhere / "apilab-course"
    below = workspace / "scratch" / "deeper"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    result = cli("start", "hello-api")
    assert result.exit_code == 0, result.output
    assert f"Started Hello, API in {workspace / 'hello-api'}" in result.output
    starter = installed / "exercises" / "hello-api" / "starter" / "app.py"
    assert (workspace / "hello-api" / "app.py").read_text() == starter.read_text()
    course = load_course(installed)
    copy = notebook_copy(course, course.lesson("1"))
    assert copy == workspace / "notebooks" / "01-http-basics.ipynb" and copy.is_file()
    assert not (installed / "work").exists()  # nothing of the learner's in the installed course


def test_outside_a_workspace_commands_say_how_to_create_one(cli, installed, elsewhere):
    for command in (["start", "hello-api"], ["serve", "hello-api"], ["notebook", "1"], ["app"]):
        result = cli(*command)
        assert result.exit_code == 1, (command, result.output)
        assert "you are not in an apilab workspace here" in result.output, command
        assert "To create one: apilab init" in result.output, command
    assert not (installed / "work").exists()


def test_outside_a_workspace_commands_say_where_the_learners_is(cli, installed, elsewhere,
                                                               monkeypatch):
    assert cli("init", "first").exit_code == 0
    assert cli("init", "second").exit_code == 0
    shutil.rmtree(elsewhere / "first")  # gone: no longer offered
    away = elsewhere.parent / "away"
    away.mkdir()
    monkeypatch.chdir(away)
    result = cli("start", "hello-api")
    assert result.exit_code == 1
    assert f"Yours: {elsewhere / 'second'} (cd there and run this again)." in result.output


def test_lessons_outside_a_workspace_shows_the_course_and_how_to_make_one(cli, installed,
                                                                         elsewhere):
    result = cli("lessons")
    assert result.exit_code == 0, result.output
    assert "1. HTTP basics" in result.output
    assert result.output.rstrip().endswith("then cd into it.")
    assert "You are not in an apilab workspace here" in result.output


def test_a_clone_keeps_the_work_in_it_unless_run_inside_a_workspace(cli, clone, elsewhere,
                                                                    monkeypatch):
    assert cli("start", "hello-api").exit_code == 0
    assert (clone / "work" / "hello-api" / "app.py").is_file()
    assert "You are not in an apilab workspace" not in cli("lessons").output

    assert cli("init").exit_code == 0
    monkeypatch.chdir(elsewhere / "apilab-course")
    assert cli("start", "whoami").exit_code == 0
    assert (elsewhere / "apilab-course" / "whoami" / "app.py").is_file()
    assert not (clone / "work" / "whoami").exists()


def test_apilab_workspace_names_one_explicitly(cli, installed, elsewhere, monkeypatch, tmp_path):
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    monkeypatch.setenv("APILAB_WORKSPACE", str(chosen))
    assert cli("start", "hello-api").exit_code == 0
    assert (chosen / "hello-api" / "app.py").is_file()

    monkeypatch.setenv("APILAB_WORKSPACE", str(tmp_path / "missing"))
    result = cli("start", "hello-api")
    assert result.exit_code == 1
    assert f"APILAB_WORKSPACE is {tmp_path / 'missing'}, which is not a folder" in result.output


def test_the_installed_course_holds_no_answers_and_says_where_they_are(cli, installed, elsewhere):
    for exercise in ("hello-api", "whoami"):
        shutil.rmtree(installed / "exercises" / exercise / "solution")
    shutil.rmtree(installed / "notebooks" / "solutions")
    assert cli("init").exit_code == 0
    for command in (["verify"], ["verify", "hello-api"], ["serve", "hello-api", "--from", "solution"]):
        result = cli(*command)
        assert result.exit_code == 1, (command, result.output)
        assert "an installed apilab leaves them out" in result.output
        assert "run this in a clone of it" in result.output


def test_version_is_the_installed_one(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output == f"apilab {version()}\n" and version() != "unknown"
