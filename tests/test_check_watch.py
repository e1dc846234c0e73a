"""`apilab check --watch` grades again after each save, and only once the server listens: a
server restarting after the save is waited for, never graded (and recorded) as nothing listening."""

from __future__ import annotations

import asyncio

import pytest

from apilab import check_watch
from apilab.ports import free_port
from grader.target import unreachable


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(check_watch, "RELOAD_DELAY", 0.1)


async def watching(folder, url, *, stop: asyncio.Event):
    """Run the watch loop; what it graded (whether the server listened then) and what it said."""
    graded: list[bool] = []
    said: list[str] = []

    async def grade() -> None:
        graded.append(await unreachable(url, 1) is None)

    task = asyncio.create_task(check_watch.grade_on_save(folder, url, grade, said.append, stop))
    return task, graded, said


async def until(predicate, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


async def test_a_save_while_the_server_restarts_grades_once_it_listens(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stop = asyncio.Event()
    task, graded, said = await watching(tmp_path, url, stop=stop)
    await until(lambda: graded and said)  # the first run, at once (nothing listens: it says so)
    assert graded == [False] and "the checks run again each time you save" in said[0]
    await asyncio.sleep(0.5)  # the folder is being watched
    (tmp_path / "app.py").write_text("saved\n")
    await asyncio.sleep(1.5)  # the server is still down: nothing is graded meanwhile
    assert graded == [False]
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
    try:
        await until(lambda: len(graded) == 2)
        assert graded == [False, True]
    finally:
        stop.set()
        server.close()
        await asyncio.wait_for(task, 10)


async def test_a_save_with_no_server_grades_nothing_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(check_watch, "LISTEN_WAIT", 0.5)
    url = f"http://127.0.0.1:{free_port()}"
    stop = asyncio.Event()
    task, graded, said = await watching(tmp_path, url, stop=stop)
    await until(lambda: graded)
    await asyncio.sleep(0.5)
    (tmp_path / "app.py").write_text("saved\n")
    await until(lambda: len(said) == 2)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert graded == [False] and f"Nothing listens at {url}" in said[1]
