"""What a command loads for the rest of its process, kept out of the garbage collector's way.

Importing the grader and reading the course make a few hundred thousand objects (modules,
classes, functions, the course's models) and no garbage. With the collector on, each of its
passes while they are made walks all that is alive so far, again and again: 40 to 60 ms of an
`apilab check`, a tenth of what it adds to the exchanges it makes. While they load, the collector
is off; once loaded they are frozen (`gc.freeze`), so that the collections grading then runs scan
only what grading makes. A process that froze objects before (a test runner running command
after command) is not frozen again: what it froze was its own choice, and a freeze at each
command would keep each command's garbage alive for good.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """Load, inside this block, what lives as long as the process."""
    collecting, first = gc.isenabled(), gc.get_freeze_count() == 0
    gc.disable()
    try:
        yield
    finally:
        if first:
            gc.freeze()
        if collecting:
            gc.enable()
