"""Both apps make the garbage collector's full passes while idle, not in the middle of a screen's
opening, and give the collector back its settings when they end."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

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
        await pilot.pause(0.5)
        assert len(full_passes) > made_before, "no full pass while idle"
        assert gc.get_count()[2] == 0


async def test_no_full_pass_of_its_own_while_keys_come_in(full_passes):
    app = PlainTextApp()
    app.collect_when_idle_for = 0.3
    async with app.run_test() as pilot:
        gc.collect()
        before = len(full_passes)
        gc.collect(1)
        for _ in range(16):  # 0.8 s of typing, a key every 50 ms
            await pilot.press("x")
            await pilot.pause(0.05)
        assert len(full_passes) == before, "a full pass while the learner was typing"
        await pilot.pause(0.6)  # then idle
        assert len(full_passes) > before
