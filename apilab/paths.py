"""Where apilab keeps things: the course it teaches, the learner's workspace, the progress data.

Settings come from the environment so that tests and several courses can live side by side:
`APILAB_HOME` (progress and settings; default the platform's user data folder) and
`APILAB_COURSE` (the folder holding lessons/ and exercises/; default this checkout).
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def data_home() -> Path:
    """The folder for the progress database and settings, created on first use."""
    home = Path(os.environ.get("APILAB_HOME") or _platform_data_dir())
    home.mkdir(parents=True, exist_ok=True)
    return home


def _platform_data_dir() -> str:
    import platformdirs  # only when APILAB_HOME does not say where

    return platformdirs.user_data_dir("apilab")


def course_root() -> Path:
    return Path(os.environ.get("APILAB_COURSE") or CHECKOUT).resolve()


def workspace(course: Path, exercise_slug: str) -> Path:
    """The learner's own copy of an exercise: `work/<slug>/` beside the course, git-ignored."""
    return course / "work" / exercise_slug


def progress_db() -> Path:
    return data_home() / "progress.db"


def create_private(path: Path) -> bool:
    """Create the empty file `path` readable and writable by its owner only (0600), unless it
    exists; True if it was created. For databases, whose journals SQLite creates with the same
    mode: progress, tokens' hashes and reports are nobody else's business."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    return True
