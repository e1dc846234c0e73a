"""What the tests share: the fixture course's location, reports with fixed times, a ticking clock,
the few pilot moves that several app tests make, starting the foreign servers, and a tiny course
written to a folder. Fixtures live in conftest.py; this module is imported by name (`from
tests.helpers import ...`), never conftest, and no test module imports another."""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from apilab.catalog.loader import CatalogError, load_course
from apilab.catalog.models import Exercise
from apilab.hubclient import HubClient
from grader.report import CheckResult, Exchange, ReceivedResponse, Report, SentRequest
from grader.runner import grade
from grader.wire import Limits

FIXTURE_COURSE = Path(__file__).parent / "fixtures" / "course"
# The TLS context of the clients that tests make by the hundred (`verify=TLS`): httpx builds one
# for each client, loading every CA certificate (about 20 ms of CPU), though tests speak plain
# HTTP on loopback.
TLS = httpx.create_ssl_context()
# A one-exercise course whose exercise needs the sandbox and shares run fixtures between checks.
SERVICES_COURSE = Path(__file__).parent / "fixtures" / "services_course"
# The fixture course's hello-api in three stages (its starter passes only the first), appended to
# its exercise.toml by the tests of grading stage by stage, in the CLI and in the app.
HELLO_API_STAGES = '''
[[stages]]
id = "health"
title = "Answer the health check"
checks = ["health-ok"]

[[stages]]
id = "create"
title = "Create items"
checks = ["create-item"]

[[stages]]
id = "errors"
title = "Unknown items"
checks = ["missing-is-404"]
'''
FIXED_TIME = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
# Check titles as long as the course's own, for screens that must fit them at 80 columns.
LONG_CHECK_TITLES = (
    "GET /books answers 200 with a JSON list, newest first, and a Link header to the next page",
    "POST /books with a missing title answers 422 with a problem+json body naming the field",
    "POST /books answers 201 Created with a Location header that GET then finds (RFC 9110)",
)


def make_report(
    exercise: str = "hello-api",
    passed: tuple[bool, ...] = (True, True, False),
    started_at: datetime = FIXED_TIME,
    seed: int = 42,
    points: tuple[int, ...] | None = None,
    titles: tuple[str, ...] | None = None,
) -> Report:
    """A small report with fixed times: one check per entry of `passed` (titled `titles`, or
    "Check number N")."""
    points = points or tuple(1 for _ in passed)
    titles = titles or tuple(f"Check number {index}" for index in range(len(passed)))
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
                title=titles[index],
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


@contextmanager
def foreign_servers(programs: Mapping[str, Sequence[str]],
                    env: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Run each program (servers of tests/foreign_servers/, `env` added to their environment) until
    the block ends; the URL of every server they announce, by name.

    A program serving one server prints `listening PORT` or `ready PORT` once it listens, and is
    named as in `programs`; one serving several prints `NAME PORT` for each, then `ready`. A port 0
    in their arguments (or PORT=0) takes a free one."""
    processes = {name: subprocess.Popen(list(command), stdout=subprocess.PIPE, text=True,
                                        env={**os.environ, **(env or {})})
                 for name, command in programs.items()}
    try:
        urls: dict[str, str] = {}
        for name, process in processes.items():
            urls |= _announced(name, process)
        yield urls
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def node_server(script: Path, *args: str) -> Iterator[str]:
    """A server of tests/foreign_servers/ run by Node on a port of its own (PORT=0: it prints the
    one it got), with an empty store; its URL."""
    with foreign_servers({"node": ["node", str(script), *args]}, env={"PORT": "0"}) as urls:
        yield urls["node"]


def planted_mistakes(script: Path) -> set[str]:
    """The names of the mistakes a foreign server can plant (`--mistake NAME`): the keys of its
    `const MISTAKES = {...}` table."""
    table = script.read_text(encoding="utf-8").split("const MISTAKES = {")[1].split("};")[0]
    return set(re.findall(r"""^\s+['"]([a-z0-9-]+)['"]:""", table, re.MULTILINE))


def hand_written(exercise: Exercise) -> Exercise:
    """`exercise` without its contract probes: what the probes reach within their budget depends
    on the machine's load, so tests hold the hand-written checks to exact sets, and each probe
    (with no budget, `grade_by_one_probe`) to the mistake it is for."""
    probes = set(exercise.probes.checks)
    return exercise.model_copy(update={"checks": [c for c in exercise.checks if c.id not in probes]})


def _announced(name: str, process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    urls = {}
    for line in iter(process.stdout.readline, ""):
        word, _, port = line.strip().partition(" ")
        if word == "ready" and not port:
            return urls
        assert port.isdigit(), f"{name}: the server did not start ({line!r})"
        if word in ("listening", "ready"):
            return {name: f"http://127.0.0.1:{port}"}
        urls[word] = f"http://127.0.0.1:{port}"
    raise AssertionError(f"{name}: the server exited before it listened (exit status {process.wait()})")


@dataclass
class Hub:
    """A running hub for the apps' tests: its URL and a token for each user by name."""

    url: str
    tokens: dict[str, str]

    def client(self, name: str) -> HubClient:
        return HubClient(self.url, self.tokens[name])


class TickingClock:
    """A clock for deterministic timestamps: each call is one minute after the previous."""

    def __init__(self, start: datetime = FIXED_TIME) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 20) -> None:
    """Let the app run until `predicate()` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.05)



async def open_exercise(pilot, app, slug: str = "hello-api"):
    """From the course map, open the exercise `slug`; the ExerciseScreen."""
    from tui.screens.exercise import ExerciseScreen
    from tui.widgets.course_list import ExerciseItem

    await pilot.pause()
    item = next(i for i in app.screen.items
                if isinstance(i, ExerciseItem) and i.exercise.slug == slug)
    app.screen.query_one("#course-list").index = app.screen.items.index(item)
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, ExerciseScreen)
    return screen


async def run_checks(pilot, screen) -> None:
    """Press r on an exercise screen and wait until its grading run has finished."""
    before = screen.runs_started
    await pilot.press("r")
    await wait_for(pilot, lambda: screen.runs_started > before and not grading(screen))


def grading(screen) -> bool:
    return any(w.group == "grading" and not w.is_finished for w in screen.workers)


async def settle(pilot) -> None:
    """Let every hub call finish and its result reach the screen."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def queue_rows(screen) -> list[tuple[str, str]]:
    """The (learner, exercise) of each row of the mentor's queue."""
    from textual.widgets import DataTable

    table = screen.query_one("#queue", DataTable)
    return [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1]))
            for i in range(table.row_count)]


# --- untrusted text -------------------------------------------------------------------------------

# Strings an attacker can put wherever a report, a server, a hub, a learner or a mentor writes text:
# each would drive a terminal, reorder what is read, or be taken for markup if shown as is.
TERMINAL_ATTACKS = {
    "osc-title": "\x1b]0;OWNED\x1b\\",
    "osc-clipboard": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "osc-hyperlink": "\x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\",
    "csi-clear": "\x1b[2J",
    "c1-csi-clear": "\x9b2J",
    "c1-osc-title": "\x9d0;OWNED\x9c",
    "dcs": "\x1bP1$qm\x1b\\",
    "apc": "\x1b_G;AAAA\x1b\\",
    "pm": "\x1b^private\x1b\\",
    "sos": "\x1bXstring\x1b\\",
    "c1-dcs": "\x90q#0;2;0;0;0\x9c",
    "lone-esc": "\x1b",
    "bidi-override": "\u202eevil\u202c",
    "bidi-isolate": "\u2067evil\u2069",
    # ends a shell's bracketed paste: what follows a pasted command (a copied curl line) runs
    "paste-escape": "\x1b[201~; touch OWNED\n",
}
MARKUP_ATTACKS = {
    "closing-tag": "[/]",
    "link": "[link=https://evil.example]click me[/link]",
    "style": "[bold red]LOUD[/bold red]",
    "action": "[@click=app.quit]quit[/]",
}
# Every attack in one string, between words that must survive it.
HOSTILE = "«" + "·".join([*TERMINAL_ATTACKS.values(), *MARKUP_ATTACKS.values()]) + "»"


def hostile_report(exercise: str = "hello-api", passed: tuple[bool, ...] = (True, False, False),
                   started_at: datetime = FIXED_TIME, hostile: str = HOSTILE) -> Report:
    """`make_report` with `hostile` in every string a learner's server or machine can write:
    titles, check ids, messages, expectations, hints, request and response lines, headers,
    bodies, transport errors and curl commands."""
    report = make_report(exercise, passed=passed, started_at=started_at)
    checks = []
    for check in report.checks:
        exchanges = []
        for exchange in check.exchanges:
            assert exchange.response is not None
            request = exchange.request.model_copy(update={
                "url": f"{exchange.request.url}?q={hostile}", "body": hostile,
                "headers": [("accept", "application/json"), ("x-evil", hostile)]})
            response = exchange.response.model_copy(update={
                "reason": hostile, "body": hostile, "headers": [("x-evil", hostile)]})
            exchanges.append(exchange.model_copy(update={
                "request": request, "response": response, "error": hostile,
                "curl": f"{exchange.curl} {hostile}"}))
        update = {"id": f"{check.id}{hostile}", "title": f"{check.title} {hostile}",
                  "why": hostile, "hint": hostile, "exchanges": exchanges}
        if not check.passed:
            update |= {"message": hostile, "expected": hostile, "received": hostile}
        checks.append(check.model_copy(update=update))
    return report.model_copy(update={"title": hostile, "url": "http://127.0.0.1:8001", 
                                     "checks": checks})


# --- what reaches the terminal --------------------------------------------------------------------

# What Textual itself writes to draw a screen: cursor moves and colours (SGR).
TEXTUAL_DRAWING = re.compile(r"\x1b\[[0-9;]*[Hm]")
# What must never reach a terminal from content: controls (newline aside), C1, bidi overrides.
_DRIVING = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_controls(output: str) -> list[str]:
    """Each place in `output` (what an app or command wrote to a terminal) where something
    other than Textual's own drawing could drive the terminal, with the characters after it."""
    rest = TEXTUAL_DRAWING.sub("", output)
    return [repr(rest[m.start():m.start() + 12]) for m in _DRIVING.finditer(rest)]


class TerminalRecorder:
    """Everything a Textual app under test would write to a real terminal: each update of its
    screens, rendered as the ANSI text a terminal receives, and which screens drew them."""

    def __init__(self, app) -> None:
        from rich.console import Console

        self.console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor",
                               legacy_windows=False)
        self.chunks: list[str] = []
        self.screens: set[type] = set()
        display = app._display

        def recording(screen, renderable) -> None:
            if renderable is not None and hasattr(renderable, "render_segments"):
                self.chunks.append(renderable.render_segments(self.console))
                self.screens.add(type(screen))
            display(screen, renderable)

        app._display = recording

    @property
    def output(self) -> str:
        return "".join(self.chunks)

    def text(self) -> str:
        """What a reader sees: the output without Textual's drawing sequences."""
        return TEXTUAL_DRAWING.sub("", self.output)


def app_screens(app: str) -> set[type]:
    """Every screen class of the "learner" or the "mentor" app, found in tui/screens (mentor_*
    modules are the mentor's, the others the learner's; help serves both). Base classes that
    other screens derive from are left out: they are never shown on their own."""
    import importlib
    import inspect
    import pkgutil

    from textual.screen import Screen

    import tui.screens

    found: set[type] = set()
    for module_info in pkgutil.iter_modules(tui.screens.__path__):
        mentor = module_info.name.startswith("mentor_")
        if module_info.name != "help" and mentor != (app == "mentor"):
            continue
        module = importlib.import_module(f"tui.screens.{module_info.name}")
        found |= {cls for _, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, Screen) and cls.__module__ == module.__name__}
    return {cls for cls in found if not any(issubclass(other, cls) and other is not cls
                                            for other in found)}


def assert_shown_as_inert_text(recorder: TerminalRecorder, markup_parsed: list[str],
                               app: str) -> None:
    """What a tour of every screen of `app` ("learner" or "mentor") with HOSTILE text must
    leave: every screen visited, nothing that drives the terminal in what it wrote, no hostile
    string parsed as markup, and the attacks shown (as text) rather than dropped."""
    assert recorder.screens >= app_screens(app), f"a {app} screen was not visited"
    assert terminal_controls(recorder.output) == []
    markers = ("«", "OWNED", "evil", "LOUD")
    assert [text for text in markup_parsed if any(marker in text for marker in markers)] == []
    seen = recorder.text()
    assert "OWNED" in seen and "red]LOUD[/bold" in seen  # as text (wrapped, maybe)


async def grade_by_one_probe(exercise: Exercise, probe: str, url: str, seed: int,
                             timeout: float = 250) -> Report:
    """Grade `url` with the contract probe `probe` alone and no time budget, as `apilab verify`
    does: what the probe reaches depends on the seed, not on the machine's load, and its search
    ends at the first failure (and its shrinking)."""
    only_the_probe = exercise.model_copy(update={"checks": [
        check for check in exercise.checks if check.id == probe]})
    limits = Limits(probe_scale=math.inf, check_timeout=timeout, run_timeout=timeout + 20)
    return await grade(only_the_probe, url, seed=seed, include_hidden=True, limits=limits)


async def grade_planted(script: Path, mistake: str, exercise: Exercise, seed: int,
                        probe: str | None = None) -> Report:
    """Grade the foreign server `script` run with `--mistake mistake`: by every check of
    `exercise`, hidden ones included, or, given `probe`, by that probe alone
    (`grade_by_one_probe`)."""
    with node_server(script, "--mistake", mistake) as url:
        if probe is not None:
            return await grade_by_one_probe(exercise, probe, url, seed=seed)
        return await grade(exercise, url, seed=seed, include_hidden=True)


# --- a tiny course, written to a folder for the tests that break one of its files ------------

TINY_EXERCISE = '''\
id = "{id}"
slug = "{slug}"
title = "Ping"
lesson = "first"
points = 3

[[checks]]
id = "ping"
title = "GET /ping answers 200"
points = 2
why = "RFC 9110 §9.3.1: GET retrieves the resource"

[[checks.steps]]
method = "GET"
path = "/ping"
expect.status = 200
expect.json."$.pong" = true

[[checks]]
id = "ping-allow"
title = "DELETE /ping answers 405 with Allow"
points = 1
why = "RFC 9110 §15.5.6: a 405 lists the allowed methods"
use = "allow-header"
with = {{ path = "/ping", method = "DELETE", allowed = ["GET", "HEAD"] }}
'''
TINY_SOLUTION = '''\
from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
def ping():
    return {"pong": True}
'''
TINY_MUTANT = '''\
description = "answers pong false"
caught_by = ["ping"]

[[edits]]
file = "app.py"
find = 'return {"pong": True}'
replace = 'return {"pong": False}'
'''
TINY_IDS = {
    "ex-one": "0b5ad1c2-5f0e-4d4c-9b7e-1a2b3c4d5e6f",
    "ex-two": "6c2f9e1a-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
}


def write_course(root: Path, exercises: tuple[str, ...] = ("ex-one", "ex-two"),
                 listed: tuple[str, ...] | None = None) -> Path:
    """A valid two-exercise course under `root`; tests then break one file."""
    names = ", ".join(f'"{slug}"' for slug in (listed or exercises))
    write_file(root / "lessons" / "course.toml", f'title = "Fixture"\n\n[[lessons]]\nslug = "first"\n'
          f'title = "First"\nreading = "first/README.md"\nexercises = [{names}]\n')
    write_file(root / "lessons" / "first" / "README.md", "# First\n")
    for slug in exercises:
        folder = root / "exercises" / slug
        write_file(folder / "exercise.toml", TINY_EXERCISE.format(id=TINY_IDS[slug], slug=slug))
        write_file(folder / "README.md", "# Ping\n")
        write_file(folder / "starter" / "app.py", "from fastapi import FastAPI\n\napp = FastAPI()\n")
        write_file(folder / "solution" / "app.py", TINY_SOLUTION)
        write_file(folder / "mutants" / "pong-false.toml", TINY_MUTANT)
    return root


def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def exercise_file(root: Path, slug: str = "ex-one") -> Path:
    return root / "exercises" / slug / "exercise.toml"


def load_error(root: Path) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        load_course(root)
    message = str(caught.value)
    assert "\n" not in message.strip(), f"one error, on one line: {message}"
    return caught.value
