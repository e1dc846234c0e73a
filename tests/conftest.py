"""Shared fixtures: the tiny fixture course, real uvicorn servers for its solutions and starters,
reports with fixed times, temporary progress stores, and one sandbox for the whole session.

Every test runs with its own empty APILAB_HOME, so no test can read or change the progress,
settings or hub login of the person running the suite.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from apilab.catalog.loader import load_course
from apilab.catalog.models import Course
from apilab.store import Store
from apilab.verify import serve_app
from grader.report import CheckResult, Exchange, ReceivedResponse, Report, SentRequest

FIXTURE_COURSE = Path(__file__).parent / "fixtures" / "course"
FIXED_TIME = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


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


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 20) -> None:
    """Let the app run until `predicate()` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.05)


@pytest.fixture(scope="session")
def fixture_course() -> Course:
    """The tiny two-lesson course under tests/fixtures/course."""
    return load_course(FIXTURE_COURSE)


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


def make_report(
    exercise: str = "hello-api",
    passed: tuple[bool, ...] = (True, True, False),
    started_at: datetime = FIXED_TIME,
    seed: int = 42,
    points: tuple[int, ...] | None = None,
) -> Report:
    """A small report with fixed times: one check per entry of `passed`."""
    points = points or tuple(1 for _ in passed)
    checks = []
    for index, (ok, worth) in enumerate(zip(passed, points, strict=True)):
        request = SentRequest(
            method="GET",
            url=f"http://127.0.0.1:8001/c{index}",
            headers=[("accept", "application/json")],
        )
        response = ReceivedResponse(
            status=200 if ok else 500,
            reason="OK" if ok else "Internal Server Error",
            headers=[("content-type", "application/json")],
            body='{"ok": true}',
        )
        checks.append(
            CheckResult(
                id=f"check-{index}",
                title=f"Check number {index}",
                status="pass" if ok else "fail",
                points=worth if ok else 0,
                max_points=worth,
                message="" if ok else f"GET /c{index} answered 500",
                expected=None if ok else "status 200",
                received=None if ok else "status 500",
                why="Because RFC 9110 says so.",
                hint="Return 200.",
                exchanges=[
                    Exchange(
                        request=request,
                        response=response,
                        elapsed_ms=1.5,
                        curl=f"curl -i http://127.0.0.1:8001/c{index}",
                    )
                ],
            )
        )
    score = sum(c.points for c in checks)
    return Report(
        exercise=exercise,
        exercise_id="7f1c2a5e-0b7d-4c3e-9a51-2d6f0e8b4a10",
        title=exercise,
        status="pass" if all(passed) else "fail",
        score=score,
        max_score=sum(points),
        seed=seed,
        url="http://127.0.0.1:8001",
        grader_version="0.1.0",
        started_at=started_at,
        duration_ms=12.5,
        checks=checks,
    )


@pytest.fixture
def report_factory() -> Callable[..., Report]:
    return make_report


class TickingClock:
    """A clock for deterministic timestamps: each call is one minute after the previous."""

    def __init__(self, start: datetime = FIXED_TIME) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


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


@pytest.fixture
def fresh_sandbox(sandbox_url: str) -> str:
    """The shared sandbox, just reset to its seed data (for tests that read or change data)."""
    response = httpx.post(f"{sandbox_url}/admin/reset", timeout=10, trust_env=False)
    assert response.status_code == 204, response.text
    return sandbox_url


@pytest.fixture
def sandbox_client(fresh_sandbox: str) -> Iterator[httpx.Client]:
    """An httpx client aimed at a freshly reset shared sandbox."""
    with httpx.Client(base_url=fresh_sandbox, timeout=10, trust_env=False) as client:
        yield client
