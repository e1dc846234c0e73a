"""Course updates never touch the learner's work, and say when a task they started changed.

The course folder is edited in place here, as an upgrade of apilab replaces the installed course:
the learner's workspace, notebook copy and progress stay exactly as they were.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from apilab.catalog.loader import load_course
from apilab.cli import main
from apilab.contracts import task_changes
from apilab.store import Store
from apilab.workspace import notebook_copy
from tests.helpers import make_report
from tui.app import ApilabApp
from tui.widgets.course_list import ExerciseItem

CHANGED = "⚠ its task changed since you started it"


@pytest.fixture
def cli():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def course(course_copy: Path) -> Path:
    """The fixture course, copied so that an upgrade can edit it."""
    return course_copy


def upgrade(course: Path, exercise: str, name: str, text: str) -> None:
    """What a newer apilab brings: one file of the exercise's task written anew."""
    (course / "exercises" / exercise / name).write_text(text, encoding="utf-8")


def test_start_records_the_task_outside_the_learners_folder(cli, course):
    assert cli("start", "hello-api").exit_code == 0
    assert sorted(p.name for p in (course / "work" / "hello-api").iterdir()) == ["app.py"]
    record = json.loads((course / "work/.apilab/started/hello-api.json").read_text())
    assert record["exercise"] == "hello-api" and list(record["contract"]) == ["README.md"]
    assert record["contract"]["README.md"].startswith("sha256:")
    assert CHANGED not in cli("lessons").output


def test_an_upgrade_that_changes_the_task_is_shown_and_touches_nothing_of_the_learners(
        cli, course, tmp_path):
    assert cli("start", "hello-api").exit_code == 0
    mine = course / "work" / "hello-api" / "app.py"
    mine.write_text("# my work\n")
    notebook = notebook_copy(load_course(course), load_course(course).lesson("1"))
    notebook.write_text(notebook.read_text().replace('"cells"', '"cells" ', 1))
    before = notebook.read_bytes()
    with Store(tmp_path / "progress.db") as store:
        store.record_run(make_report("hello-api", passed=(True, False)))
    progress = (tmp_path / "progress.db").read_bytes()

    upgrade(course, "hello-api", "README.md", "# Hello, API\n\nNow with a new rule.\n")
    upgrade(course, "hello-api", "openapi.yaml", "openapi: 3.1.0\n")  # a document it lacked
    upgrade(course, "whoami", "README.md", "# Not started: nothing to say\n")
    lines = cli("lessons").output.splitlines()
    hello = next(i for i, line in enumerate(lines) if "1. Hello, API" in line)
    assert lines[hello + 1].startswith(f"        {CHANGED} on ")
    assert lines[hello + 1].endswith("(README.md, openapi.yaml):")
    assert lines[hello + 2] == ("          apilab start hello-api shows what changed; to take the new task "
                                "as yours: apilab start hello-api --accept-task")
    assert sum(CHANGED in line for line in lines) == 1  # whoami was never started

    assert mine.read_text() == "# my work\n" and notebook.read_bytes() == before
    assert (tmp_path / "progress.db").read_bytes() == progress


def test_start_again_says_what_changed_and_accepting_the_task_clears_it(cli, course):
    assert cli("start", "hello-api").exit_code == 0
    (course / "work" / "hello-api" / "app.py").write_text("# my work\n")
    upgrade(course, "hello-api", "README.md", "# Hello, API\n\nNow with a new rule.\n")

    again = cli("start", "hello-api")
    assert "Your work is untouched" in again.output
    assert "The task changed since you started it on " in again.output
    assert "(README.md). What changed:" in again.output
    assert "--- README.md (when you started)\n+++ README.md (now)\n" in again.output
    assert "\n+Now with a new rule.\n" in again.output
    assert "Once you have: apilab start hello-api --accept-task" in again.output

    accepted = cli("start", "hello-api", "--accept-task")
    assert accepted.exit_code == 0 and "Noted: this is now your task." in accepted.output
    assert CHANGED not in cli("lessons").output
    assert "has not changed" in cli("start", "hello-api", "--accept-task").output
    assert (course / "work" / "hello-api" / "app.py").read_text() == "# my work\n"


def test_line_endings_are_no_change_and_work_without_a_record_says_nothing(cli, course):
    assert cli("start", "hello-api").exit_code == 0
    readme = course / "exercises/hello-api/README.md"
    readme.write_bytes(readme.read_bytes().replace(b"\n", b"\r\n"))  # a clone on Windows
    assert CHANGED not in cli("lessons").output

    (course / "work/.apilab/started/hello-api.json").unlink()  # started by an apilab that kept no record
    upgrade(course, "hello-api", "README.md", "# Hello, API\n\nNow with a new rule.\n")
    assert CHANGED not in cli("lessons").output
    (course / "work/.apilab/started").mkdir(exist_ok=True)
    (course / "work/.apilab/started/hello-api.json").write_text("{not json")  # edited by hand
    assert cli("lessons").exit_code == 0 and CHANGED not in cli("lessons").output


def test_a_task_started_without_copies_kept_says_where_to_read_it(cli, course):
    assert cli("start", "hello-api").exit_code == 0
    shutil.rmtree(course / "work/.apilab/started/hello-api")  # its record holds fingerprints only
    upgrade(course, "hello-api", "README.md", "# Hello, API\n\nNow with a new rule.\n")
    again = cli("start", "hello-api").output
    assert f"(README.md): read it again in {course / 'exercises/hello-api'}" in again
    assert "What changed" not in again


def test_a_reset_starts_against_the_current_task(cli, course):
    assert cli("start", "hello-api").exit_code == 0
    upgrade(course, "hello-api", "README.md", "# Hello, API\n\nNow with a new rule.\n")
    assert task_changes(load_course(course), course / "work")
    assert cli("start", "hello-api", "--reset").exit_code == 0
    assert task_changes(load_course(course), course / "work") == {}


async def test_the_course_map_marks_a_changed_task_and_says_how_to_accept_it(course, store):
    runner = CliRunner()
    assert runner.invoke(main, ["start", "whoami"]).exit_code == 0
    upgrade(course, "whoami", "README.md", "# Who am I\n\nNow with a new rule.\n")
    app = ApilabApp(load_course(course), store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        items = {i.exercise.slug: i for i in app.screen.items if isinstance(i, ExerciseItem)}
        assert items["whoami"].task_changed and not items["hello-api"].task_changed
        shown = {slug: "".join(cell.plain for cell in item.cells()) for slug, item in items.items()}
        assert "⚠ task changed" in shown["whoami"] and "⚠" not in shown["hello-api"]
        side = str(app.screen.query_one("#changes").render())
        assert "2. Who am I?\nChanged since you started it on " in side
        assert "apilab start whoami --accept-task" in side
