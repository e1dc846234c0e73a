"""Both apps make the garbage collector's full passes while idle, not in the middle of a screen's
opening, and give the collector back its settings when they end."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from textual.screen import Screen

from tui.app import ApilabApp
from tui.collector import RARER, IdleCollecting
from tui.mentor_app import MentorApp
from tui.plain import PlainTextApp


@pytest.fixture
def full_passes() -> Iterator[list[int]]:
    """A list that grows by one at the end of each full pass of the collector."""
    passes: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            passes.append(1)

    gc.callbacks.append(seen)
    yield passes
    gc.callbacks.remove(seen)


def test_both_apps_collect_when_idle():
    assert issubclass(ApilabApp, IdleCollecting) and issubclass(MentorApp, IdleCollecting)


async def test_full_passes_are_rarer_while_the_app_runs_and_as_before_after():
    before = gc.get_threshold()
    async with PlainTextApp().run_test() as pilot:
        await pilot.pause()
        assert gc.get_threshold() == (before[0], before[1], before[2] * RARER)
    assert gc.get_threshold() == before


async def test_an_idle_app_makes_a_full_pass_when_objects_were_made(full_passes):
    app = PlainTextApp()
    app.collect_when_idle_for = 0.2
    async with app.run_test() as pilot:
        await pilot.pause(0.5)
        made_before = len(full_passes)
        gc.collect(1)  # as many objects made as start a pass over the middle generation
        assert gc.get_count()[2] > 0
        for _ in range(100):  # a few tenths of a second; up to 10 s on a busy machine
            if len(full_passes) > made_before:
                break
            await pilot.pause(0.1)
        assert len(full_passes) > made_before, "no full pass while idle"


async def test_keys_and_screens_keep_the_app_from_collecting():
    app = PlainTextApp()
    app.collect_when_idle_for = 60.0  # no idle pass of its own while the test runs
    async with app.run_test() as pilot:
        before = app._active_at
        await pilot.press("x")
        await pilot.pause()
        assert app._active_at > before, "a key did not count as activity"
        before = app._active_at
        await app.push_screen(Screen())
        assert app._active_at > before, "a screen opening did not count as activity"

        gc.collect(1)  # objects made since the last full pass
        app._collect_if_idle()
        assert gc.get_count()[2] > 0, "a full pass while the app was in use"
        app._active_at -= app.collect_when_idle_for  # as if a minute had passed since
        app._collect_if_idle()
        assert gc.get_count()[2] == 0, "no full pass once idle"
