"""The validated course, kept between starts of apilab.

Loading the course parses every exercise's TOML files and validates them against the grader's
registered checks: most of what the terminal app does before its first screen. A course that
loaded once is kept as a pickle in the learner's data folder, under a key made of every file the
load could read (each file under the course's lessons/, exercises/ and notebooks/, and each
source file of apilab and the grader, which say what a valid course is) with its size and
modification time, the version of Python and pydantic's installed files. Any file added, removed
or changed gives another key, so a kept course is never stale; a failed load is never kept, so
an error in the course is found again at the next start.

The course is kept in two parts: its outline (`apilab.catalog.outline`), which the app's first
screen shows and which reads back without pydantic, and the whole course, read back when first
needed (`KeptCourse.course`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from apilab import paths
from apilab.catalog.outline import CourseOutline

if TYPE_CHECKING:
    from apilab.catalog.models import Course

COURSE_FOLDERS = ("lessons", "exercises", "notebooks")
UNREADABLE = (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError,
              ValueError)


class KeptCourse:
    """A course as `load_course` gives it, in two parts: its outline, at once, and the whole
    course when first asked for (a thread may ask, to have it ready)."""

    def __init__(self, outline: CourseOutline, whole: Callable[[], Course]) -> None:
        self.outline = outline
        self._whole = whole
        self._course: Course | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, course: Course) -> KeptCourse:
        """A course loaded already, with its outline."""
        return cls(CourseOutline.of(course), lambda: course)

    def course(self) -> Course:
        """The whole course, validated when it was kept."""
        with self._lock:
            if self._course is None:
                self._course = self._whole()
            return self._course


def cached_course(root: Path) -> Course:
    """The course under `root`, as `load_course(root)` gives it: from the cache when nothing it
    was loaded from has changed since, else loaded and kept."""
    return kept_course(root).course()


def kept_course(root: Path) -> KeptCourse:
    """The course under `root` (see `cached_course`), its outline read now and the whole of it
    when first needed."""
    root = root.resolve()
    key = course_key(root)
    with contextlib.suppress(*UNREADABLE):
        stored_key, outline, whole = pickle.loads(_kept_path(root).read_bytes())
        if stored_key == key:
            outline = pickle.loads(outline)
            if isinstance(outline, CourseOutline):
                return KeptCourse(outline, lambda: _read_back(whole, root))
    return KeptCourse.of(_load_and_keep(root, key))


def _read_back(whole: bytes, root: Path) -> Course:
    from apilab.catalog.models import Course

    with contextlib.suppress(*UNREADABLE):
        course = pickle.loads(whole)
        if isinstance(course, Course):
            return course
    return _load_and_keep(root, course_key(root))  # the outline read back, the whole did not


def _load_and_keep(root: Path, key: str) -> Course:
    from apilab.catalog.loader import load_course

    course = load_course(root)
    with contextlib.suppress(OSError, pickle.PicklingError):
        parts = (pickle.dumps(CourseOutline.of(course), protocol=pickle.HIGHEST_PROTOCOL),
                 pickle.dumps(course, protocol=pickle.HIGHEST_PROTOCOL))
        _write(_kept_path(root), pickle.dumps((key, *parts), protocol=pickle.HIGHEST_PROTOCOL))
    return course


def _kept_path(root: Path) -> Path:
    name = hashlib.sha256(str(root).encode()).hexdigest()[:16]  # one kept course per folder
    return paths.data_home() / "cache" / f"course-{name}.pickle"


def course_key(root: Path) -> str:
    """A digest of every file the course's validity depends on: names, sizes, modification times."""
    import apilab
    import grader

    folders = [root / name for name in COURSE_FOLDERS]
    folders += [Path(package.__file__).resolve().parent for package in (apilab, grader)]
    files = []
    for folder in folders:
        for directory, subfolders, names in os.walk(folder):
            subfolders[:] = [name for name in subfolders if name != "__pycache__"]
            files += [os.path.join(directory, name) for name in names]
    # pydantic's version by its file, found without importing pydantic (a tenth of a second)
    pydantic = importlib.util.find_spec("pydantic")
    if pydantic is not None and pydantic.origin:
        files.append(os.path.join(os.path.dirname(pydantic.origin), "version.py"))
    digest = hashlib.sha256(f"{sys.version}\0{root}\n".encode())
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
