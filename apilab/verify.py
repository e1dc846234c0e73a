"""The course checks itself: building an exercise's starter, solution or mutant, and serving it.

`materialize` writes one runnable copy of an exercise (a mutant is the solution with its edits
applied); `serve_app` and `serve_apps` run `app:app` with uvicorn on loopback ports for as long as
a `with` block lasts. `apilab verify` and the tests grade what they serve.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from apilab.catalog.models import Course, Exercise, Mutant
from apilab.ports import free_port, free_ports
from grader.report import Report

START_TIMEOUT = 20.0


class ServerStartError(RuntimeError):
    """A server did not start listening; the message carries the end of its stderr."""


def materialize(exercise: Exercise, source: Literal["starter", "solution"] | Mutant,
                into: Path) -> Path:
    """Copy the starter, the solution, or the solution with a mutant's edits into `into`.

    Returns `into`. Each edit's `find` must occur exactly once in its file (the loader checks
    this too); otherwise `ValueError` names the mutant, the file and the text.
    """
    origin = exercise.starter_dir if source == "starter" else exercise.solution_dir
    shutil.copytree(origin, into, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if isinstance(source, Mutant):
        for edit in source.edits:
            target = into / edit.file
            text = target.read_text(encoding="utf-8")
            found = text.count(edit.find)
            if found != 1:
                raise ValueError(f"mutant {source.name}: {edit.find!r} occurs {found} times in "
                                 f"{edit.file}; it must occur exactly once")
            target.write_text(text.replace(edit.find, edit.replace), encoding="utf-8")
    return into


class _Server:
    """One `uvicorn app:app` child process, its port and its captured stderr."""

    def __init__(self, folder: Path, port: int | None, *, port_chosen_here: bool = False) -> None:
        # A port picked here may be taken by another program before uvicorn binds it; such a
        # server is started once more on a new port rather than failing the course check.
        self.folder, self.port = folder, port or free_port()
        self.may_move = port_chosen_here or port is None
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self._spawn()

    def _spawn(self) -> None:
        self.log.seek(0)
        self.log.truncate()
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=self.folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def listening(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
            return True
        return False

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", errors="replace")[-3000:]

    def wait_ready(self, deadline: float) -> None:
        while not self.listening():
            if self.process.poll() is not None:
                if self.may_move and "address already in use" in self.stderr().lower():
                    self.may_move = False
                    self.port = free_port()
                    self._spawn()
                    continue
                raise ServerStartError(
                    f"uvicorn app:app in {self.folder} exited with code {self.process.returncode} "
                    f"before listening on port {self.port}:\n{self.stderr()}")
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"uvicorn app:app in {self.folder} did not listen on port {self.port} in "
                    f"time:\n{self.stderr()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@contextlib.contextmanager
def serve_apps(folders: Sequence[Path]) -> Iterator[list[str]]:
    """Serve every folder's `app:app` at once, each on its own free loopback port.

    Yields their base URLs in order once all accept connections; stops them all on exit.
    Starting them together makes a dozen mutants cost about as much as one server.
    """
    servers: list[_Server] = []
    try:
        for folder, port in zip(folders, free_ports(len(folders)), strict=True):
            servers.append(_Server(Path(folder), port, port_chosen_here=True))
        # Starting many at once shares the cores: allow each core's share of them the full time.
        deadline = time.monotonic() + START_TIMEOUT * max(1.0, len(servers) / (os.cpu_count() or 1))
        for server in servers:
            server.wait_ready(deadline)
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.stop()


@contextlib.contextmanager
def serve_app(folder: Path, port: int | None = None) -> Iterator[str]:
    """Run `python -m uvicorn app:app --host 127.0.0.1 --port P` in `folder`; yield its base URL.

    Waits until the server accepts connections. If it exits first (an import error, a taken
    port), `ServerStartError` carries its stderr. The server is stopped when the block ends.
    """
    server = _Server(Path(folder), port)
    try:
        server.wait_ready(time.monotonic() + START_TIMEOUT)
        yield server.url
    finally:
        server.stop()


# --- the whole course -------------------------------------------------------------------------

VERIFY_SEED = 20250314  # fixed, so a failing verification replays with `apilab check --seed`


@dataclass
class Verdict:
    """One thing `apilab verify` proved or failed to prove."""

    ok: bool
    subject: str  # e.g. "reading-list: mutant no-location"
    detail: str


def verify_course(course: Course, exercises: Sequence[Exercise] | None = None,
                  notebooks: bool = True, echo: Callable[[str], None] = print) -> bool:
    """Prove the course holds together; print one line per verdict; True when all hold.

    For every exercise the solution passes every check (hidden ones included), the starter
    fails, and every mutant fails exactly the checks it names. For every lesson's notebook, its
    solution runs against a fresh sandbox and each blank fails its self-check until answered
    (see `apilab.verify_notebooks`).
    """
    verdicts: list[Verdict] = []
    for exercise in exercises or course.ordered_exercises():
        for verdict in verify_exercise(exercise):
            echo(_line(verdict))
            verdicts.append(verdict)
    if notebooks:
        from apilab.verify_notebooks import verify_notebook

        for lesson in course.lessons:
            path = course.notebook_path(lesson)
            for verdict in verify_notebook(path) if path is not None else []:
                echo(_line(verdict))
                verdicts.append(verdict)
    failed = sum(not v.ok for v in verdicts)
    echo(f"\n{len(verdicts) - failed} passed, {failed} failed")
    return failed == 0


def verify_exercise(exercise: Exercise) -> list[Verdict]:
    """Serve the solution, the starter and every mutant at once and grade them all."""
    from grader.runner import grade

    sources: list[Literal["starter", "solution"] | Mutant] = ["solution", "starter", *exercise.mutants]
    with tempfile.TemporaryDirectory(prefix=f"apilab-verify-{exercise.slug}-") as tmp:
        folders = [materialize(exercise, source, Path(tmp) / _name(source)) for source in sources]
        try:
            with serve_apps(folders) as urls:
                reports = asyncio.run(_grade_all(grade, exercise, urls))
        except ServerStartError as exc:
            return [Verdict(False, f"{exercise.slug}: servers", str(exc))]
    solution, starter, *mutants = reports
    verdicts = [_solution_verdict(exercise, solution), _starter_verdict(exercise, starter)]
    verdicts += [_mutant_verdict(exercise, m, r) for m, r in zip(exercise.mutants, mutants, strict=True)]
    return verdicts


async def _grade_all(grade, exercise: Exercise, urls: list[str]) -> list[Report]:
    return list(await asyncio.gather(*(
        grade(exercise, url, seed=VERIFY_SEED, include_hidden=True) for url in urls)))


def _solution_verdict(exercise: Exercise, report: Report) -> Verdict:
    subject = f"{exercise.slug}: solution"
    if report.status == "pass" and report.score == report.max_score:
        return Verdict(True, subject, f"passes every check ({report.score}/{report.max_score})")
    return Verdict(False, subject, f"should pass everything but {_describe_failures(report)}")


def _starter_verdict(exercise: Exercise, report: Report) -> Verdict:
    subject = f"{exercise.slug}: starter"
    if report.status == "fail":
        return Verdict(True, subject, f"fails, as it should ({report.score}/{report.max_score})")
    return Verdict(False, subject, f"should fail but its status is {report.status} {report.message}")


def _mutant_verdict(exercise: Exercise, mutant: Mutant, report: Report) -> Verdict:
    subject = f"{exercise.slug}: mutant {mutant.name}"
    failed = {check.id for check in report.failed}
    named = set(mutant.caught_by)
    if report.status == "error":
        return Verdict(False, subject, f"could not be graded: {report.message}")
    if failed == named:
        return Verdict(True, subject, f"caught by {', '.join(mutant.caught_by)}")
    problems = []
    if missed := sorted(named - failed):
        problems.append(f"should fail {', '.join(missed)} but passed")
    if extra := sorted(failed - named):
        problems.append(f"also fails {', '.join(extra)}, which caught_by does not name")
    return Verdict(False, subject, "; ".join(problems))


def _describe_failures(report: Report) -> str:
    if report.status == "error":
        return f"could not be graded: {report.message}"
    return "fails " + "; ".join(f"{c.id} ({c.message})" for c in report.failed)


def _name(source: Literal["starter", "solution"] | Mutant) -> str:
    return source.name if isinstance(source, Mutant) else source


def _line(verdict: Verdict) -> str:
    return f"{'✓' if verdict.ok else '✗'} {verdict.subject}: {verdict.detail}"
