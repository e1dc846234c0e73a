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
        # A check marked slow waits on purpose (a lockout to end, a second to pass): saying it
        # waits for the server would send the learner looking for a hang that is not there.
        waiting = ("waiting, as this check must (a time window or a lockout to pass)"
                   if progress.check.slow else "waiting for your server")
        self.stream.write(f"apilab: grading {progress.index + 1} of {progress.total}, "
                          f"{progress.check.id}: {waiting}…\n")
        self.stream.flush()
