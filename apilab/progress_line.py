"""One line on a terminal saying which check the grader is running, so a slow server is visibly
being graded rather than hung. It is rewritten in place and erased when the run ends."""

from __future__ import annotations

import shutil
from typing import TextIO

from grader.runner import Progress

ERASE = "\r\x1b[2K"  # back to the start of the line, and clear it


class ProgressLine:
    """A progress callback for `grade` that writes to `stream`, a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, progress: Progress) -> None:
        if progress.result is not None:
            return
        width = shutil.get_terminal_size().columns - 1
        text = f"Grading {progress.index + 1}/{progress.total}: {progress.check.title}"
        self._write(ERASE + (text if len(text) <= width else text[:width - 1] + "…"))
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self._write(ERASE)
            self.shown = False

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
