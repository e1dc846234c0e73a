"""While `apilab check` grades, a check that takes long gets a line saying which one runs, so a
slow server is visibly being graded rather than hung. Plain lines, no cursor movement: the same
text reads right on a terminal, in a log and in CI."""

from __future__ import annotations

import asyncio
from typing import TextIO

from grader.runner import Progress

SLOW_AFTER = 2.0  # seconds a check runs before it is named


class SlowChecks:
    """A progress callback for `grade` (called on its event loop) that writes to `stream`."""

    def __init__(self, stream: TextIO, after: float = SLOW_AFTER) -> None:
        self.stream = stream
        self.after = after
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, progress: Progress) -> None:
        self.close()
        if progress.result is None:
            self._timer = asyncio.get_running_loop().call_later(self.after, self._say, progress)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _say(self, progress: Progress) -> None:
        self.stream.write(f"apilab: grading {progress.index + 1} of {progress.total}, "
                          f"{progress.check.id}: waiting for your server…\n")
        self.stream.flush()
