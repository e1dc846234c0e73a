"""Shared fixtures: the tiny fixture course, real uvicorn servers for its solutions and starters,
reports with fixed times, temporary progress stores, and one sandbox for the whole session.

Every test runs with its own empty APILAB_HOME, so no test can read or change the progress,
settings or hub login of the person running the suite.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from apilab.app_servers import serve_app
from apilab.catalog.loader import load_course
from apilab.catalog.models import Course
from apilab.cli import main
from apilab.store import Store
from grader.report import Report
from tests.helpers import FIXTURE_COURSE, TLS, TickingClock, make_report
from tests.hub_cohort import cohort  # noqa: F401  (a fixture: a small cohort on an in-process hub)


def pytest_configure(config: pytest.Config) -> None:
    """Programs the tests start get Ctrl-C as from a terminal. A suite started in the background
    of a shell without job control (`make test &` in a script, `nohup make test`) inherits SIGINT
    ignored, and would pass it on to every program it starts (an ignored signal stays ignored
    across exec): the tests that press Ctrl-C on apilab would find it deaf, and wait for it to
    end on its own. A handler, unlike an ignored signal, is not inherited: the programs the tests
    start get the default, and end on Ctrl-C."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # Likewise `nohup` ignores SIGHUP: the tests that close a program's terminal would find it
    # deaf. A handler that does nothing keeps the suite itself alive through a hang-up, as nohup
    # means, and lets the programs it starts end on one, as from a terminal.
    if signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
        signal.signal(signal.SIGHUP, lambda _signum, _frame: None)
    # The apilab processes the tests start each have an APILAB_HOME of their own, where apilab
    # keeps Hypothesis' cache: each would build its table of Unicode categories again (half a
    # second of CPU) before its first probe. They share the suite's instead, the one Hypothesis
    # uses in the workers. test_probe_caches, which is about that cache, removes this.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(config.rootpath / ".hypothesis"))


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: two workers per core. Tests spend much of their time waiting (for a server to
    start or stop, a lockout to end, a timeout to pass), and workers beyond the cores fill that
    time with other tests' work. On two cores, whole suites a few minutes apart on the machine at
    the same speed: three workers kept both cores 92% busy (7m30s), four 96% (6m43s). More only
    adds what each worker costs of its own: collecting the suite (about 5 s of CPU) and its
    session servers. PYTEST_XDIST_AUTO_NUM_WORKERS still decides when it is set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return 2 * cores


Unit = list[pytest.Item]  # tests one worker runs in a row


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The order in which the workers take the tests, for cores that are never idle.

    The tests of a module that share a module-scoped fixture (a server, a sandbox, a seeded
    course) run on one worker, in a row, which makes that fixture once: dealt out one by one,
    every worker made its own.

    Slow tests (real processes) are much of their time waiting: for a lockout to end, for servers
    and kernels to start. They are dealt out among the first half of the quick ones, which keep
    the cores busy meanwhile, and the rest of the quick ones end the run: no slow test is left to
    run alone at its end. The slow tests that wait most (marked `waits`) are dealt out among the
    other slow ones in turn: started in a row, they had every worker waiting at once."""
    units: dict[str, Unit] = {}
    for item in items:
        if _shares_a_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
            units.setdefault(item.module.__name__, []).append(item)
        else:
            units[item.nodeid] = [item]

    def marked(unit: Unit, name: str) -> bool:
        return any(item.get_closest_marker(name) for item in unit)

    slow = [unit for unit in units.values() if marked(unit, "slow")]
    quick = [unit for unit in units.values() if not marked(unit, "slow")]
    waiting = [unit for unit in slow if marked(unit, "waits")]
    working = [unit for unit in slow if not marked(unit, "waits")]
    slow = _dealt(waiting, among=working, within=len(working))
    items[:] = [item for unit in _dealt(slow, among=quick, within=len(quick) // 2) for item in unit]


def _shares_a_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    return info is not None and any(
        definitions[-1].scope == "module" for definitions in info.name2fixturedefs.values())


def _dealt(few: list[Unit], among: list[Unit], within: int) -> list[Unit]:
    """`among`, with `few` dealt out evenly between its first `within` units, in their order."""
    if not few:
        return list(among)
    dealt: list[Unit] = []
    for number, unit in enumerate(few):
        dealt.append(unit)
        dealt += among[number * within // len(few):(number + 1) * within // len(few)]
    return dealt + among[within:]


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    """Collection makes objects by the hundred thousand (modules, cases, items) and no garbage:
    with the collector on, each of its passes walks all of them made so far, again and again,
    half a second of each worker's collection. It is off while they are made, and they are
    frozen when collection ends (below)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return (yield)
    finally:
        if collecting:
            gc.enable()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection loaded (every module, every generated case) lives as long as the worker:
    frozen out of the garbage collector's sight, so that the full collections made while tests
    run, and pytest's own at the end, scan only what tests make.

    And a full collection every hundred of the middle generation's, not every ten: tests make
    objects by the million (apps, servers, generated requests), and at ten, a worker spent 6 to
    13 s of CPU in a run walking what was still alive; at a hundred, 2 to 3 s. What is garbage
    is freed later, not never."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("apilab-home")
    monkeypatch.setenv("APILAB_HOME", str(home))
    return home


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC, so that times on screen (snapshots) are the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="session")
def fixture_course() -> Course:
    """The tiny two-lesson course under tests/fixtures/course."""
    return load_course(FIXTURE_COURSE)


# --- the apilab command --------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `apilab ...` in-process against the fixture course and a fresh home."""
    monkeypatch.setenv("APILAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("APILAB_COURSE", str(FIXTURE_COURSE))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def course_copy(tmp_path, monkeypatch) -> Path:
    copy = tmp_path / "course"
    shutil.copytree(FIXTURE_COURSE, copy, ignore=shutil.ignore_patterns("__pycache__", "work"))
    monkeypatch.setenv("APILAB_COURSE", str(copy))
    return copy


# --- real servers -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hello_solution_url(fixture_course: Course) -> Iterator[str]:
    """The fixture course's hello-api reference solution, one server for the session."""
    with serve_app(fixture_course.exercise("hello-api").solution_dir) as url:
        yield url


@pytest.fixture(scope="session")
def hello_starter_url(fixture_course: Course) -> Iterator[str]:
    """The fixture course's hello-api starter (fails some checks), one server for the session."""
    with serve_app(fixture_course.exercise("hello-api").starter_dir) as url:
        yield url


# --- reports and stores -------------------------------------------------------------------------


@pytest.fixture
def report_factory() -> Callable[..., Report]:
    return make_report


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh progress store in a temporary file, with a deterministic clock."""
    opened = Store(tmp_path / "progress.db", clock=TickingClock())
    yield opened
    opened.close()


# --- sandbox: one real sandbox API server for the whole session ---------------------------------


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """The URL of a sandbox API started once per test session on a free loopback port."""
    from apilab.sandbox_process import SandboxProcess

    with SandboxProcess() as sandbox:
        yield sandbox.url


@pytest.fixture(scope="session")
def security_lab_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A sandbox with the security lab switched on (its flags from a secret of its own home)."""
    from apilab.sandbox_process import SandboxProcess

    home = tmp_path_factory.mktemp("lab-home")
    with SandboxProcess(labs=("security",), lab_secret_home=home) as sandbox:
        yield sandbox.url


@pytest.fixture
def fresh_sandbox(sandbox_url: str) -> str:
    """The shared sandbox, just reset to its seed data (for tests that read or change data)."""
    response = httpx.post(f"{sandbox_url}/admin/reset", timeout=10, trust_env=False, verify=TLS)
    assert response.status_code == 204, response.text
    return sandbox_url


@pytest.fixture
def sandbox_client(fresh_sandbox: str) -> Iterator[httpx.Client]:
    """An httpx client aimed at a freshly reset shared sandbox."""
    with httpx.Client(base_url=fresh_sandbox, timeout=10, trust_env=False, verify=TLS) as client:
        yield client


# --- untrusted text -------------------------------------------------------------------------------


@pytest.fixture
def markup_parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every string that Textual or Rich parses as markup while the test runs (Textual's own
    labels included), so a test can assert that no untrusted string was among them."""
    import rich.markup
    import textual.markup

    parsed: list[str] = []

    def spying(parse: Callable[..., object]) -> Callable[..., object]:
        def parse_and_record(markup: object, *args: object, **kwargs: object) -> object:
            parsed.append(str(markup))
            return parse(markup, *args, **kwargs)

        return parse_and_record

    monkeypatch.setattr(textual.markup, "to_content", spying(textual.markup.to_content))
    monkeypatch.setattr(rich.markup, "render", spying(rich.markup.render))
    return parsed
