"""Where apilab keeps things: the course it teaches and the progress data.

Settings come from the environment so that tests and several courses can live side by side:
`APILAB_HOME` (progress and settings; default the platform's user data folder) and
`APILAB_COURSE` (the folder holding lessons/ and exercises/). Without `APILAB_COURSE`, the course
is the one installed with apilab, as package data (what a wheel carries), or, in a clone of the
repository, the checkout itself. The learner's own work lives in a workspace (`apilab.workspace`).
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


def installed_course() -> Path | None:
    """The course installed with apilab as package data (`apilab/course/`), if this installation
    carries one: an installed wheel does, a clone (or an editable install of one) does not."""
    # A regular install is a folder on disk; the course is used as files (copied, served, run).
    # (Not importlib.resources: for such an install it names the same folder, and importing it
    # would slow every start of the app.)
    folder = Path(__file__).parent / "course"
    if (folder / "lessons" / "course.toml").is_file():
        return folder.resolve()
    return None


def course_root() -> Path:
    """The folder holding the course: `APILAB_COURSE`, else the installed course, else the checkout."""
    if configured := os.environ.get("APILAB_COURSE"):
        return Path(configured).resolve()
    return installed_course() or CHECKOUT


def is_installed(course: Path) -> bool:
    """True when `course` is the course installed with apilab: a learner's work never goes
    inside it (an upgrade replaces it whole)."""
    installed = installed_course()
    return installed is not None and course.resolve() == installed


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
