"""A check under a base path: every path it writes goes under it, no path the server gave it
does; and an exercise that includes another's checks gets them under its base path, renamed,
with their data, and refuses includes that cannot work."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.app_servers import serve_app
from apilab.catalog.loader import CatalogError, load_course, load_exercise
from apilab.catalog.models import Step
from grader.context import CheckContext
from grader.steps import run_steps
from grader.wire import Wire

ROOT = Path(__file__).resolve().parent.parent
APP = Path(__file__).parent / "fixtures" / "versioning_checks_app"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_app(APP) as base:
        yield base


@pytest.mark.slow
async def test_written_paths_go_under_the_base_and_given_ones_do_not(url):
    steps = [Step.model_validate(s) for s in (
        {"method": "POST", "path": "/v1/books", "json": {"title": "${title}", "author": "Ada"},
         "expect": {"status": 201}, "capture": {"location": {"header": "Location"}}},
        {"method": "GET", "path": "${location}", "expect": {"status": 200, "json": {"title": "${title}"}}},
    )]
    async with Wire(url) as wire:
        ctx = CheckContext(wire, {"title": "Dune"}, random.Random(0), base_path="/good")
        await run_steps(ctx, steps)
    sent = [exchange.request.url.removeprefix(url) for exchange in wire.exchanges]
    location = ctx.vars["location"]
    assert location.startswith("/good/v1/books/")  # relative, as the server gave it
    assert sent == ["/good/v1/books", location]


def test_an_exercise_includes_another_under_its_base_path():
    course = load_course(ROOT)
    lesson_1 = course.exercise("reading-list")
    own = lesson_1.own_checks  # its contract probes stay with its own contract: not included
    v2 = course.exercise("reading-list-v2")
    included = [c for c in v2.checks if c.base_path == "/v1"]
    assert [c.id for c in included] == [f"v1-{c.id}" for c in own]
    assert [(c.hidden, c.points, c.steps, c.use, c.params) for c in included] == [
        (c.hidden, c.points, c.steps, c.use, c.params) for c in own]
    assert included[0].title == f"Under /v1: {own[0].title}"
    assert v2.checks[: len(included)] == included  # v1 first, as the README lists it
    assert lesson_1.data.items() <= v2.data.items()
    assert v2.points == v2.max_score


def _course_with(tmp_path: Path, include: str) -> Path:
    """A copy of the course whose reading-list-v2 includes as `include` says."""
    for part in ("lessons", "exercises", "notebooks"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "exercises/reading-list-v2/exercise.toml"
    text = path.read_text()
    start = text.index("[[include]]")
    end = text.index("[data]")
    path.write_text(text[:start] + include + "\n" + text[end:])
    return tmp_path / "exercises/reading-list-v2"


@pytest.mark.parametrize(("include", "said"), [
    ('[[include]]\nexercise = "reading-lists"\nbase_path = "/v1"\nprefix = "v1-"\n',
     "include[0].exercise: no exercise 'reading-lists' beside this one"),
    ('[[include]]\nexercise = "reading-list-v2"\nbase_path = "/v1"\nprefix = "v1-"\n',
     "include[0].exercise: including 'reading-list-v2' makes a cycle"),
    ('[[include]]\nexercise = "reading-list"\nbase_path = "v1/"\nprefix = "v1-"\n',
     "include[0].base_path: 'v1/' is not a base path"),
    ('[[include]]\nexercise = "reading-list"\nbase_path = "/v1"\nprefix = "v1"\n',
     "include[0].prefix"),
])
def test_an_include_that_cannot_work_is_named(tmp_path, include, said):
    folder = _course_with(tmp_path, include)
    with pytest.raises(CatalogError) as error:
        load_exercise(folder)
    assert said in str(error.value)


def test_data_drawn_differently_under_one_name_is_refused(tmp_path):
    folder = _course_with(tmp_path, '[[include]]\nexercise = "reading-list"\nbase_path = "/v1"\n'
                                    'prefix = "v1-"\n')
    path = folder / "exercise.toml"
    path.write_text(path.read_text().replace('note2 = { kind = "word" }',
                                             'note2 = { kind = "word" }\ntitle = { kind = "word" }'))
    with pytest.raises(CatalogError) as error:
        load_exercise(folder)
    assert "draws ${title} as" in str(error.value) and "use another name" in str(error.value)


def test_included_fixtures_run_under_the_base_path_and_services_come_along(tmp_path):
    import tomllib

    from apilab.catalog.includes import with_included
    from apilab.catalog.models import Exercise

    def write(slug: str, text: str) -> Path:
        path = tmp_path / slug / "exercise.toml"
        path.parent.mkdir()
        path.write_text(f'id = "{len(slug):08d}-0000-4000-8000-000000000000"\nslug = "{slug}"\n'
                        f'title = "t"\nlesson = "l"\npoints = 1\n{text}')
        return path

    def parse(path: Path) -> Exercise:
        return Exercise.model_validate(tomllib.loads(path.read_text()))

    write("first", 'services = ["sandbox"]\n[fixtures.book]\nuse = "created-resource"\n'
                   'with = { collection = "/books", body = {} }\n[[checks]]\nid = "uses-book"\n'
                   'title = "t"\npoints = 1\nwhy = "w"\nneeds = ["book"]\n'
                   '[[checks.steps]]\nmethod = "GET"\npath = "${book.path}"\n')
    second = write("second", '[[include]]\nexercise = "first"\nbase_path = "/v1"\nprefix = "v1-"\n'
                             '[[checks]]\nid = "own"\ntitle = "t"\npoints = 1\nwhy = "w"\n'
                             '[[checks.steps]]\nmethod = "GET"\npath = "/v2/books"\n')
    resolved = with_included(parse(second), second, parse)
    assert [(c.id, c.base_path, c.needs) for c in resolved.checks] == [
        ("v1-uses-book", "/v1", ["book"]), ("own", "", [])]
    assert resolved.fixtures["book"].base_path == "/v1"
    assert resolved.services == ["sandbox"]
