"""The wheel carries the course: built from this checkout with `python -m build`, installed into
a fresh virtual environment outside it, and run from there as a learner runs it.

Offline and quick: the build uses the backend installed for the tests (no isolated environment to
download it into), once per session, on one worker (the module is one xdist group); each fresh
environment reaches the test environment's dependencies through a `.pth` file, and the wheel goes
in with `--no-deps`. The checkout itself is not on its sys.path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from apilab.catalog.loader import load_course
from apilab.paths import CHECKOUT
from apilab.ports import free_port

# One worker runs the whole module, so that the session's build serves every test here.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

VERSION = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]["version"]
COURSE_FOLDERS = ("lessons", "exercises", "notebooks")
PACKAGES = ("apilab", "grader", "httpkit", "hub", "sandbox_api", "tui")


def answers(path: str) -> bool:
    """Whether a course file is one the course's policy keeps out of what learners install."""
    parts = Path(path).parts
    return (parts[0] == "exercises" and len(parts) > 2 and parts[2] in ("solution", "mutants")) or \
        parts[:2] == ("notebooks", "solutions")


def course_files() -> set[str]:
    """The course's files in the repository (every lesson, exercise and notebook, by folder)."""
    listed = subprocess.run(["git", "ls-files", "-z", *COURSE_FOLDERS], cwd=CHECKOUT, check=True,
                            capture_output=True, text=True).stdout
    return {path for path in listed.split("\0") if path}


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, as `python -m build` makes them (the wheel built from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                            str(CHECKOUT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def test_the_wheel_and_the_sdist_carry_the_course_without_the_answers(dist):
    expected = course_files()
    shown = {path for path in expected if not answers(path)}
    assert shown != expected, "the course has reference solutions to leave out"
    with zipfile.ZipFile(built_wheel(dist)) as built:
        names = set(built.namelist())
    in_wheel = {name.removeprefix("apilab/course/") for name in names if name.startswith("apilab/course/")}
    assert in_wheel == shown
    assert {"tui/apilab.tcss", "tui/screens.tcss"} <= names
    assert {name.split("/")[0] for name in names} == {*PACKAGES, f"apilab-{VERSION}.dist-info"}
    # Every package of the checkout is shipped (pyproject.toml names them), but the tests and
    # the benchmarks, which need the checkout.
    packages = {path.parent.name for path in CHECKOUT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages == set(PACKAGES), "add the new package to the wheel's only-include in pyproject.toml"

    with tarfile.open(dist / f"apilab-{VERSION}.tar.gz") as sdist:
        members = {name.removeprefix(f"apilab-{VERSION}/") for name in sdist.getnames()}
    assert {name for name in members if name.split("/")[0] in COURSE_FOLDERS} == shown
    assert {"pyproject.toml", "README.md"} <= members and not any(m.startswith("tests/") for m in members)


def built_wheel(dist: Path, version: str = VERSION) -> Path:
    return dist / f"apilab-{version}-py3-none-any.whl"


def install(wheel: Path, folder: Path, *, upgrade: bool = False) -> None:
    """Install `wheel` into the virtual environment `folder` (created when missing) as a learner
    does, without downloading anything."""
    python = folder / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
        site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              check=True, capture_output=True, text=True).stdout.strip()
        # The dependencies, from the test environment: a plain path line adds the folder only, so
        # the editable install of the checkout that it also holds (a .pth of its own) stays out.
        ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
        Path(site, "test-dependencies.pth").write_text("".join(f"{path}\n" for path in ours))
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-index", *(["--upgrade"] if upgrade else []), str(wheel)],
        capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr


@pytest.fixture(scope="session")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed, outside the checkout."""
    folder = tmp_path_factory.mktemp("learner") / "venv"
    install(built_wheel(dist), folder)
    return folder


def learner_env(venv: Path, home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("APILAB_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, "APILAB_HOME": str(home), "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}"}


def test_the_installed_wheel_runs_the_course_outside_the_checkout(venv, tmp_path):
    here = tmp_path / "learner"
    here.mkdir()
    env = learner_env(venv, tmp_path / "home")
    port = free_port()
    sandbox = subprocess.Popen([venv / "bin" / "apilab", "sandbox", "--port", str(port)], cwd=here,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)  # it starts while the other commands run
    try:
        run_the_course(venv, here, env)
        books = first_answer(sandbox, f"http://127.0.0.1:{port}/books")
        assert books.status_code == 200 and books.json()["items"]
    finally:
        os.killpg(sandbox.pid, signal.SIGINT)
        output = sandbox.communicate(timeout=30)[0].decode(errors="replace")
    assert sandbox.returncode == 0, output


Apilab = Callable[..., subprocess.CompletedProcess[str]]


def commands(venv: Path, env: dict[str, str], here: Path) -> Apilab:
    """`apilab ARGS...` as the learner runs it, from `here` unless `cwd=` says otherwise."""
    def apilab(*args: str, cwd: Path = here) -> subprocess.CompletedProcess[str]:
        return subprocess.run([venv / "bin" / "apilab", *args], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=120)
    return apilab


def run_the_course(venv: Path, here: Path, env: dict[str, str]) -> None:
    apilab = commands(venv, env, here)
    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import importlib.util as u, json, sys; print(json.dumps("
         f"{{'origins': [u.find_spec(p).origin for p in {PACKAGES!r}], 'tests': u.find_spec('tests') "
         "is not None, 'path': sys.path}))"],
        cwd=here, env=env, check=True, capture_output=True, text=True).stdout
    found = json.loads(where)
    assert all(Path(origin).is_relative_to(venv) for origin in found["origins"]), found["origins"]
    assert not found["tests"] and str(CHECKOUT) not in found["path"]

    assert apilab("--version").stdout == f"apilab {VERSION}\n"
    course = load_course(CHECKOUT)
    lessons = apilab("lessons")
    assert lessons.returncode == 0, lessons.stderr
    for lesson in course.lessons:
        assert f"{lesson.number}. {lesson.title}" in lessons.stdout
    for exercise in course.ordered_exercises():
        assert f"{exercise.number}. {exercise.title}" in lessons.stdout
    assert "To create one: apilab init" in lessons.stdout

    assert apilab("init").returncode == 0
    workspace = here / "apilab-course"
    first = course.ordered_exercises()[0]
    started = apilab("start", first.slug, cwd=workspace)
    assert started.returncode == 0, started.stderr
    copied = {p.relative_to(workspace / first.slug) for p in (workspace / first.slug).rglob("*")}
    # the starter, and the contract beside it in the form the learner's tools read
    assert copied == {p.relative_to(first.starter_dir) for p in first.starter_dir.rglob("*")} | {
        Path(first.contract.name)}

    helped = apilab("verify", "--help")
    assert helped.returncode == 0 and "Usage: apilab verify" in helped.stdout


def first_answer(process: subprocess.Popen[bytes], url: str) -> httpx.Response:
    """The first response from `url`, polled while `process` (which serves it) starts."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=5, trust_env=False)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url} (the sandbox's exit code: {process.poll()})")


# --- an upgrade -----------------------------------------------------------------------------------

NEWER = "99.0.0"
ADDED_LESSON = "A lesson that an update added"
ADDED_RULE = "\n\nEvery list also answers with `X-Total-Count`, the number of items in the whole list.\n"


def newer_release(dist: Path, out: Path, changed_exercise: str) -> Path:
    """The wheel of a later release, built from this release's sdist as its authors would make it:
    a new lesson in course.toml, with its reading and notebook, and one exercise's task extended.
    Nothing else names the new files: the build finds them by where they are."""
    with tarfile.open(dist / f"apilab-{VERSION}.tar.gz") as sdist:
        sdist.extractall(out / "src", filter="data")
    root = out / "src" / f"apilab-{VERSION}"
    edit(root / "pyproject.toml",
         lambda text: text.replace(f'version = "{VERSION}"', f'version = "{NEWER}"', 1))
    edit(root / "lessons" / "course.toml", lambda text: text + (
        f'\n[[lessons]]\nslug = "added-by-update"\ntitle = "{ADDED_LESSON}"\n'
        'reading = "99-added-by-update/README.md"\nnotebook = "99-added-by-update.ipynb"\n'))
    (root / "lessons" / "99-added-by-update").mkdir()
    (root / "lessons" / "99-added-by-update" / "README.md").write_text(f"# {ADDED_LESSON}\n")
    first_notebook = next(iter(sorted((root / "notebooks").glob("*.ipynb"))))
    (root / "notebooks" / "99-added-by-update.ipynb").write_bytes(first_notebook.read_bytes())
    edit(root / "exercises" / changed_exercise / "README.md", lambda text: text + ADDED_RULE)
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir",
                            str(out), str(root)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    return built_wheel(out, NEWER)


def edit(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, f"{path} did not change"
    path.write_text(changed, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_upgrade_brings_the_new_course_and_leaves_the_learners_work_alone(dist, tmp_path):
    venv, home = tmp_path / "venv", tmp_path / "home"
    install(built_wheel(dist), venv)
    apilab = commands(venv, learner_env(venv, home), tmp_path)
    assert apilab("init", "my-course").returncode == 0
    workspace = tmp_path / "my-course"
    changed, unchanged = load_course(CHECKOUT).ordered_exercises()[:2]
    for exercise in (changed, unchanged):
        started = apilab("start", exercise.slug, cwd=workspace)
        assert started.returncode == 0, started.stderr
    mine = next(p for p in sorted((workspace / changed.slug).rglob("*")) if p.is_file())
    mine.write_text(mine.read_text() + "\n# my own work\n")
    before = snapshot(workspace), snapshot(home)

    install(newer_release(dist, tmp_path / "newer", changed.slug), venv, upgrade=True)

    assert (snapshot(workspace), snapshot(home)) == before
    assert apilab("--version").stdout == f"apilab {NEWER}\n"
    lessons = apilab("lessons", cwd=workspace)
    assert lessons.returncode == 0, lessons.stderr
    assert ADDED_LESSON in lessons.stdout and "notebook: apilab notebook" in lessons.stdout
    notes = [line for line in lessons.stdout.splitlines() if "its task changed" in line]
    assert len(notes) == 1 and "(README.md)" in notes[0], lessons.stdout
    after_changed = lessons.stdout.split(changed.title, 1)[1]
    assert after_changed.index("its task changed") < after_changed.index(unchanged.title)

    accepted = apilab("start", changed.slug, "--accept-task", cwd=workspace)
    assert accepted.returncode == 0, accepted.stderr
    assert "What changed:" in accepted.stdout and f"+{ADDED_RULE.strip()}\n" in accepted.stdout
    assert "its task changed" not in apilab("lessons", cwd=workspace).stdout
    assert mine.read_text().endswith("# my own work\n")
