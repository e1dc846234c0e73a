"""`apilab check --watch`: grade, then grade again each time the learner saves.

After a save, a server run by `apilab serve` restarts: grading waits until it listens again, so
that a restart is never recorded as a run where nothing could be graded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from apilab.serving import follow
from grader.target import until_listening

# After a save, time for a server that reloads on change (apilab serve, uvicorn --reload) to
# notice it and go down before the grader looks for it.
RELOAD_DELAY = 1.5
LISTEN_WAIT = 20.0  # seconds a restarting server gets to listen again


async def grade_on_save(folder: Path, url: str, grade: Callable[[], Awaitable[object]],
                        say: Callable[[str], None], stop: asyncio.Event | None = None) -> None:
    """Grade once, then after each save in `folder` once the server at `url` listens; until
    `stop` is set (or the task is cancelled: Ctrl-C)."""
    stop = stop or asyncio.Event()
    await grade()
    say(f"Watching {folder}: the checks run again each time you save. Ctrl-C stops.")
    async for event in follow(folder, stop):
        if event.kind == "present":
            continue
        if event.kind == "gone":
            say(f"{folder} is gone (moved or deleted): watching for it to come back.")
            continue
        await asyncio.sleep(RELOAD_DELAY)
        if not await until_listening(url, LISTEN_WAIT):
            say(f"Nothing listens at {url} (is your server running? did it start after the "
                "save?): nothing graded; the checks run at your next save.")
            continue
        await grade()
