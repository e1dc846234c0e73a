"""Compile Python files to bytecode once, on every core: what `make` runs after installing.

Usage: python tools/compile_bytecode.py FOLDER...

Every `.py` file under each folder is compiled, except under `.git`, `.venv` and `__pycache__`
folders (the installed libraries are given as a folder of their own). Bytecode goes where the
running Python puts it (PYTHONPYCACHEPREFIX, set by the Makefile).

`python -m compileall -j 0` does the same, but hands its worker processes one file at a time:
for the six thousand files of a test install on two cores, 13 s, two thirds of it spent passing
files around. Here each worker is given its share of the files at once: 5 to 7 s. A file that
does not compile is left out quietly, as by `compileall -qq`: Python reports it where it is
imported.
"""

from __future__ import annotations

import compileall
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

SKIPPED = {".git", ".venv", "__pycache__"}
SHARES_PER_CORE = 8  # shares small enough that no core waits long for another to finish


def sources(folder: str) -> Iterator[str]:
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED]
        yield from (os.path.join(directory, name) for name in names if name.endswith(".py"))


def compile_share(paths: list[str]) -> None:
    for path in paths:
        compileall.compile_file(path, quiet=2)


def main(folders: list[str]) -> int:
    files = [path for folder in folders for path in sources(folder)]
    cores = os.cpu_count() or 1  # as many workers as ProcessPoolExecutor would start
    count = cores * SHARES_PER_CORE
    try:
        with ProcessPoolExecutor(cores) as pool:
            list(pool.map(compile_share, [files[start::count] for start in range(count)]))
    except (NotImplementedError, OSError):
        # No worker processes here (a system without POSIX semaphores, as compileall also
        # allows for): one process compiles them all, which is only slower.
        compile_share(files)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
