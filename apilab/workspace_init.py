"""`apilab init`: a new workspace, with a README that says what it is for and a .gitignore, so
that the learner can keep their work under version control from the first commit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from apilab import version
from apilab.workspace import MARKER, WorkspaceError, find_workspace, remember_workspace

README = """\
# My apilab work

This folder is my apilab workspace: my own work on the apilab course. apilab finds it from here
or from any folder below, by `apilab-workspace.toml` (keep that file).

- `<exercise>/`: my server for an exercise, copied from its starter by `apilab start <exercise>`.
- `notebooks/`: my copies of the lessons' notebooks, made by `apilab notebook <lesson>`.
- `.apilab/`: the task of each exercise as it was when I started it, so that apilab can show
  what changed when the course is updated.

Updating apilab brings new lessons and fixed checks and never changes anything here; when the
task of an exercise I started changes, `apilab lessons` says so. My progress (every check and
submission) is kept by apilab itself, outside this folder.

## Commands (run them here)

    apilab                        the course in the terminal app
    apilab lessons                the course and my progress, as text
    apilab notebook 1             lesson 1's notebook in Jupyter, with the practice API
    apilab start reading-list     copy an exercise's starter here (--lang js for JavaScript)
    apilab serve reading-list     run my server, restarted whenever I save
    apilab check reading-list     grade it
"""

GITIGNORE = """\
# Made by tools, not by me: caches, dependencies, local environments.
__pycache__/
*.py[cod]
.ipynb_checkpoints/
node_modules/
.venv/
venv/
.DS_Store
"""


@dataclass(frozen=True)
class Initialized:
    path: Path
    created: bool  # False: it was a workspace already, and nothing changed
    kept: tuple[str, ...] = ()  # files that were there already, left exactly as they were


def init_workspace(folder: Path) -> Initialized:
    """Make `folder` (created if missing) a workspace: its marker, a README and a .gitignore.

    Nothing that exists is overwritten: a folder that is a workspace already stays as it is, and
    a README or .gitignore of the learner's own is kept. WorkspaceError when `folder` is a file,
    lies inside another workspace, or cannot be written."""
    folder = folder.expanduser().resolve()
    if (folder / MARKER).is_file():
        remember_workspace(folder)
        return Initialized(folder, created=False)
    if folder.exists() and not folder.is_dir():
        raise WorkspaceError(f"{folder} is a file, not a folder; choose another name: apilab init FOLDER")
    if (enclosing := find_workspace(folder.parent)) is not None:
        raise WorkspaceError(f"{folder} is inside your workspace {enclosing}; your work goes there "
                             "already. To keep another one, choose a folder outside it.")
    kept = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in (("README.md", README), (".gitignore", GITIGNORE)):
            if (folder / name).exists():
                kept.append(name)
            else:
                (folder / name).write_text(text, encoding="utf-8")
        # Written last: a folder that could not be set up completely is not taken for a workspace.
        (folder / MARKER).write_text(_marker(), encoding="utf-8")
    except OSError as exc:
        raise WorkspaceError(f"could not create your workspace in {folder}: {exc.strerror or exc}") from None
    remember_workspace(folder)
    return Initialized(folder, created=True, kept=tuple(kept))


def _marker() -> str:
    return ("# This folder is an apilab workspace: your own work on the course. apilab finds it by\n"
            "# this file, from here or any folder below; keep it, and commit it with your work.\n"
            f'format = 1\ncreated_with = "apilab {version()}"\n')
