"""The learner's app against hostile text: a server under test that answers with terminal escape
sequences, bidi overrides and markup, stored reports full of them, and a mentor's feedback
written to attack. On every screen (course map, lesson, security lab, exercise and its report,
history and diff, inbox and feedback) it reaches the terminal as inert text, and nothing is parsed as
markup."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable, Label, ListView, Log

from apilab.certificate.content import Result, certificate, hub_issuer
from apilab.ports import free_port
from apilab.server_commands import ServerCommand, remember
from hub.protocol import CapturedFlag
from tests import hostile_servers as hs
from tests.helpers import (
    FIXED_TIME,
    HOSTILE,
    TerminalRecorder,
    assert_shown_as_inert_text,
    hostile_report,
    make_report,
    open_exercise,
    run_checks,
    terminal_controls,
    wait_for,
)
from tui.app import ApilabApp
from tui.screens.certificate import CertificateScreen
from tui.screens.exercise import ExerciseScreen
from tui.screens.history import DiffScreen, HistoryScreen
from tui.screens.inbox import InboxScreen
from tui.screens.lab import LabScreen
from tui.screens.lesson import LessonScreen
from tui.screens.report import ReportScreen
from tui.screens.server_command import ServerCommandScreen

SIZE = (130, 40)


@pytest.fixture(scope="module")
def attacking_server():
    with hs.HostileServers({"attacks": hs.terminal_attacks(HOSTILE)}) as servers:
        yield servers.url("attacks")


@pytest.fixture
def hostile_store(store):
    """Two stored runs of hello-api full of attacks, and a mentor's review written to attack."""
    store.record_run(hostile_report(passed=(True, False, False)))
    latest = store.record_run(hostile_report(passed=(True, True, False),
                                             started_at=FIXED_TIME + timedelta(minutes=7)))
    check_id = hostile_report().checks[2].id
    store.add_feedback(latest, f"mentor {HOSTILE}",
                       f"# Heading {HOSTILE}\n\n**Close!** {HOSTILE}\n\n"
                       "[the docs](https://evil.example/steal)\n\n```\n" + HOSTILE + "\n```",
                       check_id=check_id, verdict="changes_requested", score_override=1,
                       reason=HOSTILE)
    store.add_feedback(latest, HOSTILE, HOSTILE, check_id=HOSTILE, verdict=HOSTILE)
    return store


async def test_every_learner_screen_shows_hostile_text_as_inert_text(
        fixture_course, hostile_store, attacking_server, markup_parsed, tmp_path):
    app = ApilabApp(fixture_course, hostile_store, server_url=attacking_server)
    recorder = TerminalRecorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark", "escape")  # the keys, over the course map

        await pilot.press("i")  # the inbox: two notes, each opens beside its report
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        await wait_for(pilot, lambda: len(inbox.query_one(ListView).children) == 2)
        for index in (0, 1):
            inbox.query_one(ListView).index = index
            await pilot.press("enter")
            assert isinstance(app.screen, ReportScreen)
            await pilot.pause()
            await pilot.press("escape")
        await pilot.press("escape")

        await pilot.press("c")  # the certificate: not earned yet, then one full of attacks
        certificate = app.screen
        assert isinstance(certificate, CertificateScreen)
        await pilot.pause()
        certificate._save(hostile_certificate(fixture_course), tmp_path / "certificates")
        await pilot.pause()
        assert "OWNED" in str(certificate.query_one("#certificate-text").render())
        await pilot.press("escape")

        await app.push_screen(LessonScreen(fixture_course.lesson("1")))
        await pilot.pause()
        await pilot.press("escape")

        await app.push_screen(LabScreen())  # a wrong flag: the message never echoes it
        await pilot.press("f", *"apilab{x}", "enter", "escape")
        assert "not a flag" in str(app.screen.query_one("#flag-message").render())
        await pilot.press("escape")

        exercise = await open_exercise(pilot, app)  # the last run, as stored
        await pilot.pause()
        await pilot.press("y")  # copy curl: a notification shows it
        assert "curl -i" in app.clipboard and terminal_controls(app.clipboard) == []
        await run_checks(pilot, exercise)  # grade the attacking server, live
        assert exercise.report is not None and exercise.report.status == "fail"
        assert any(HOSTILE[:3] in (c.received or "") or "OWNED" in (c.received or "")
                   for c in exercise.report.checks)
        await show_server_output(pilot, exercise, HOSTILE, tmp_path)
        remember("hello-api", ["node", HOSTILE])  # the command the learner gave, remembered
        await pilot.press("c")  # shown in the form that changes it
        assert isinstance(app.screen, ServerCommandScreen)
        await pilot.pause()
        await pilot.press("escape")

        await pilot.press("h")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await pilot.pause()
        history.query_one(DataTable).move_cursor(row=1)
        await pilot.press("d")
        assert isinstance(app.screen, DiffScreen)
        await pilot.pause()
        await pilot.press("escape", "enter")
        assert isinstance(app.screen, ReportScreen)
        await pilot.pause()

    assert_shown_as_inert_text(recorder, markup_parsed, "learner")


def hostile_certificate(course) -> str:
    """A certificate whose every string is an attack, as a hub of ill will could send one."""
    results = {e.slug: Result(HOSTILE, 1, 1, "approved", f"2026-11-30{HOSTILE}")
               for e in course.ordered_exercises()}
    flags = [CapturedFlag(lesson=HOSTILE, name=HOSTILE, captured_at=HOSTILE)]
    content = certificate(course, HOSTILE, hub_issuer(HOSTILE, HOSTILE), results, HOSTILE, flags)
    return json.dumps({"certificate": content, "signature": None})


async def show_server_output(pilot, screen: ExerciseScreen, text: str, folder: Path) -> None:
    """Make the learner's server print `text`, as if it failed to start, and exit: the log shows
    its lines and a notification says that it exited."""
    script = f"print({text!r}); print('Error loading ASGI app. ' + {text!r})"
    screen._serve(folder, ServerCommand([sys.executable, "-c", script], "your command"),
                  free_port())
    log = screen.query_one("#server-log", Log)
    await wait_for(pilot, lambda: any("exited" in n.message for n in screen.app._notifications))
    assert log.line_count >= 4  # the command, the server's two lines, its exit
    await pilot.pause()


async def test_a_link_in_feedback_shows_where_it_goes(fixture_course, store):
    run = store.record_run(make_report())
    store.add_feedback(run, "max", "**Read** [the docs](https://evil.example/steal) first.",
                       check_id="check-2")
    app = ApilabApp(fixture_course, store)
    recorder = TerminalRecorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        inbox = app.screen
        await wait_for(pilot, lambda: len(inbox.query_one(ListView).children) == 1)
        preview = str(inbox.query_one(ListView).children[0].query_one(Label).render())
        assert "Read the docs first." in preview  # plain text, no Markdown marks
        await pilot.press("enter")
        assert isinstance(app.screen, ReportScreen)
        await pilot.pause()
        assert "the docs <https://evil.example/steal>" in recorder.text()
