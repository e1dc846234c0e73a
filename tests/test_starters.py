"""Every starter, in every language, runs as shipped and fails most checks; `apilab start --lang`
picks one. The starters are served with their language's own command, as `apilab serve` does, and
graded as `apilab verify` grades a starter: by the exercise's own checks, without the contract
probes (the costly checks; what a starter lacks, the exercise's own checks show)."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from click.testing import CliRunner

from apilab.catalog.loader import load_course
from apilab.cli import main
from apilab.paths import CHECKOUT
from apilab.ports import free_port
from apilab.processes import Processes
from apilab.server_commands import resolve
from apilab.serving import ServerSupervisor
from apilab.verify import graded
from grader.runner import grade

COURSE = load_course(CHECKOUT)
STARTERS = [(exercise, language) for exercise in COURSE.ordered_exercises()
            for language in exercise.starters]


def test_exercise_1_ships_python_and_javascript():
    starters = COURSE.exercise("reading-list").starters
    assert set(starters) == {"python", "js"}
    assert (starters["js"] / "server.js").is_file() and (starters["python"] / "app.py").is_file()
    assert "TODO" in (starters["js"] / "server.js").read_text()


@pytest.mark.slow
@pytest.mark.parametrize(("exercise", "language"), STARTERS,
                         ids=[f"{e.slug}-{lang}" for e, lang in STARTERS])
async def test_each_starter_runs_and_fails_most_checks(exercise, language, sandbox_url):
    folder = exercise.starters[language]
    supervisor = ServerSupervisor(Processes(), folder=folder, port=free_port(), watch=False,
                                  command=resolve(folder, exercise.slug, remember_it=False),
                                  on_event=lambda event: None)
    task = asyncio.create_task(supervisor.run())
    try:
        async with asyncio.timeout(60):
            while not supervisor.listening:
                assert not task.done(), "the starter exited"
                await asyncio.sleep(0.05)
        report = await grade(graded(exercise, "starter"), f"http://127.0.0.1:{supervisor.port}", seed=7,
                             services={name: sandbox_url for name in exercise.services})
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert report.status == "fail"  # it answers: graded, not an error
    # Checks included from an earlier exercise (lesson 1's, under /v1 for its version 2) test what
    # the starter already does; most of the exercise's own checks must fail.
    included = [include.prefix for include in exercise.include]
    own = [check for check in report.checks if not any(check.id.startswith(p) for p in included)]
    assert len([check for check in own if not check.passed]) > len(own) / 2


def test_start_lang_copies_that_starter(tmp_path, monkeypatch):
    course = tmp_path / "course"
    for part in ("lessons", "exercises", "notebooks"):
        shutil.copytree(CHECKOUT / part, course / part)
    monkeypatch.setenv("APILAB_COURSE", str(course))
    runner = CliRunner()
    result = runner.invoke(main, ["start", "reading-list", "--lang", "js"])
    assert result.exit_code == 0, result.output
    work = course / "work" / "reading-list"
    # the starter, and the contract beside it (it comes with any language's starter)
    assert sorted(p.name for p in work.iterdir()) == ["openapi.yaml", "server.js"]
    again = runner.invoke(main, ["start", "reading-list", "--lang", "python"])
    assert "apilab start reading-list --lang python --reset" in again.output
    reset = runner.invoke(main, ["start", "reading-list", "--lang", "python", "--reset"])
    assert reset.exit_code == 0 and (work / "app.py").is_file()
    assert not (work / "server.js").exists()


PYTHON_APPS = [(exercise, source) for exercise in COURSE.ordered_exercises()
               for source in ("solution", "starter")]


@pytest.mark.slow
@pytest.mark.parametrize(("exercise", "source"), PYTHON_APPS,
                         ids=[f"{e.slug}-{source}" for e, source in PYTHON_APPS])
def test_an_encoded_slash_in_an_id_is_no_redirect(exercise, source):
    """Starlette decodes %2F before routing: `/books/%2F` became `/books/`, which FastAPI answers
    with a redirect to `/books`, and the contract probes, which send "/" as an id now and then,
    failed the reference and every server built on the starter. An id of "/" names nothing."""
    import httpx

    from apilab.app_servers import serve_app
    from grader.contract.document import load_contract

    contract = load_contract(exercise.root / "openapi.yaml")
    items = sorted({op.path for op in contract.operations if op.path.endswith("}")})
    folder = exercise.solution_dir if source == "solution" else exercise.starters["python"]
    with serve_app(folder) as url:
        for item in items:
            path = item[:item.rindex("{")] + "%2F"
            response = httpx.get(url + path, follow_redirects=False)
            assert not 300 <= response.status_code < 400, (path, response.status_code)
