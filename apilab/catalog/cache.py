"""The validated course, kept between starts of apilab.

Loading the course parses every exercise's TOML files and validates them against the grader's
registered checks: most of what the terminal app does before its first screen. A course that
loaded once is kept as a pickle in the learner's data folder, under a key made of every file the
load could read (each file under the course's lessons/, exercises/ and notebooks/, and each
source file of apilab and the grader, which say what a valid course is) with its size and
modification time, and the versions of Python and pydantic. Any file added, removed or changed
gives another key, so a kept course is never stale; a failed load is never kept, so an error in
the course is found again at the next start.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

from apilab import paths
from apilab.catalog.models import Course

COURSE_FOLDERS = ("lessons", "exercises", "notebooks")


def cached_course(root: Path) -> Course:
    """The course under `root`, as `load_course(root)` gives it: from the cache when nothing it
    was loaded from has changed since, else loaded and kept."""
    root = root.resolve()
    key = course_key(root)
    name = hashlib.sha256(str(root).encode()).hexdigest()[:16]  # one kept course per folder
    kept = paths.data_home() / "cache" / f"course-{name}.pickle"
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError,
                             ImportError, TypeError, ValueError):
        stored_key, course = pickle.loads(kept.read_bytes())
        if stored_key == key and isinstance(course, Course):
            return course
    from apilab.catalog.loader import load_course

    course = load_course(root)
    with contextlib.suppress(OSError, pickle.PicklingError):
        _write(kept, pickle.dumps((key, course), protocol=pickle.HIGHEST_PROTOCOL))
    return course


def course_key(root: Path) -> str:
    """A digest of every file the course's validity depends on: names, sizes, modification times."""
    import pydantic

    import apilab
    import grader

    folders = [root / name for name in COURSE_FOLDERS]
    folders += [Path(package.__file__).resolve().parent for package in (apilab, grader)]
    files = []
    for folder in folders:
        for directory, subfolders, names in os.walk(folder):
            subfolders[:] = [name for name in subfolders if name != "__pycache__"]
            files += [os.path.join(directory, name) for name in names]
    digest = hashlib.sha256(f"{sys.version}\0{pydantic.VERSION}\0{root}\n".encode())
    for path in sorted(files):
        with contextlib.suppress(OSError):  # gone meanwhile: the load will say so
            stat = os.stat(path)
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _write(path: Path, data: bytes) -> None:
    # Written whole, then renamed: two apilab starting together never read half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".course-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
