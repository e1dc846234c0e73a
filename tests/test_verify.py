"""`apilab verify`, the course's self-check, run as a course author runs it.

The real course must verify cleanly, one exercise at a time (so the exercises are verified in
parallel; its notebooks are proven by test_notebooks.py); a course with a mutant that its checks
do not catch must not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apilab.catalog.loader import load_course
from apilab.catalog.models import Exercise
from apilab.verify import graded, readme_rules

ROOT = Path(__file__).resolve().parent.parent
# The exercises the course lists; one not listed yet is verified by its own test module.
EXERCISES = load_course(ROOT).ordered_exercises()
# Totals that move only when an exercise's checks or README rules do.
FULL_MARKS = {"reading-list": 110, "team-wiki": 92, "reading-list-v2": 196}
RULES = {"reading-list": 34}

pytestmark = [pytest.mark.slow, pytest.mark.waits]  # gradings wait out lockouts and windows


def apilab(*args: str, course: Path = ROOT, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APILAB_COURSE": str(course), "APILAB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "apilab", *args], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.timeout(300)  # every mutant of the exercise served and graded
@pytest.mark.parametrize("exercise", EXERCISES, ids=[exercise.slug for exercise in EXERCISES])
def test_the_exercise_verifies(exercise: Exercise, tmp_path: Path):
    slug, folder = exercise.slug, exercise.root
    # Eight servers at a time, though two of these tests may run at once: much of a grading is
    # waiting (a lockout to end, a second to pass), which the other servers' work fills. The
    # security exercise, whose gradings each wait out a lockout, verified in 22 s with four and
    # 14 s with eight.
    result = apilab("verify", slug, "--jobs", "8", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    if marks := FULL_MARKS.get(slug):
        assert f"✓ {slug}: solution: passes every check ({marks}/{marks})" in lines
    if rules := RULES.get(slug):
        assert f"✓ {slug}: README rules: each of the {rules} rules it marks is enforced by a check" in lines
    assert any(line.startswith(f"✓ {slug}: contract: openapi.yaml and README.md agree") for line in lines)
    assert any(line.startswith(f"✓ {slug}: solution: passes every check") for line in lines)
    assert any(line.startswith(f"✓ {slug}: starter: fails, as it should") for line in lines)
    mutants = sorted(p.stem for p in (folder / "mutants").glob("*.toml"))
    for name in mutants:
        assert any(line.startswith(f"✓ {slug}: mutant {name}: caught by") for line in lines), name
    verdicts = len(mutants) + 3 + bool(readme_rules(folder / "README.md"))
    assert lines[-1] == f"{verdicts} passed, 0 failed"


def test_a_mutant_that_escapes_fails_verification(tmp_path):
    course = tmp_path / "course"
    for part in ("lessons", "exercises", "notebooks"):
        shutil.copytree(ROOT / part, course / part, ignore=shutil.ignore_patterns("__pycache__"))
    mutants = course / "exercises/reading-list/mutants"
    for path in mutants.glob("*.toml"):
        if path.stem != "put-merges":
            path.unlink()
    text = (mutants / "put-merges.toml").read_text()
    (mutants / "put-merges.toml").write_text(text.replace('["put-replace"]', '["get-one"]'))

    result = apilab("verify", "reading-list", course=course, home=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert ("✗ reading-list: mutant put-merges: should fail get-one but passed; "
            "also fails put-replace, which caught_by does not name") in result.stdout
    assert result.stdout.splitlines()[-1] == "4 passed, 1 failed"


@pytest.mark.parametrize("listening", [False, True], ids=["bound", "listening"])
def test_a_server_whose_port_was_taken_meanwhile_starts_on_another(tmp_path, listening):
    """Another program takes the port between pick and bind: bound only, or listening and
    answering, as another server of the same course check would (then it must not be taken
    for this one, or two gradings would share one server)."""
    import socket

    from apilab.app_servers import AppServer

    app = tmp_path / "app.py"
    app.write_text("async def app(scope, receive, send):\n    pass\n")
    with socket.socket() as thief:
        thief.bind(("127.0.0.1", 0))  # uvicorn cannot bind it either way
        if listening:
            thief.listen()
        taken = thief.getsockname()[1]
        server = AppServer(tmp_path, taken, port_chosen_here=True)
        try:
            server.wait_ready(time.monotonic() + 20)
            assert server.port != taken and server.running()
        finally:
            server.stop()


async def test_a_readme_rule_that_no_check_enforces_is_reported(tmp_path):
    from apilab.catalog.loader import load_exercise
    from apilab.verify import _verify_rules

    folder = tmp_path / "reading-list"
    shutil.copytree(ROOT / "exercises/reading-list", folder,
                    ignore=shutil.ignore_patterns("__pycache__"))
    readme = folder / "README.md"
    readme.write_text(readme.read_text() + "\nA teapot answers 418. <!-- rule: teapot -->\n")
    toml = folder / "exercise.toml"
    toml.write_text(toml.read_text().replace('rules = ["get-one"]', 'rules = ["get-one", "get-once"]'))

    [verdict] = await _verify_rules(load_exercise(folder))

    assert not verdict.ok and verdict.subject == "reading-list: README rules"
    assert "no check enforces teapot" in verdict.detail
    assert "checks name rules the README does not mark: get-once (get-one)" in verdict.detail


def test_a_mutant_runs_the_costly_checks_it_names_and_no_others():
    """The contract probes and the checks marked slow (they wait out lockouts) run for the
    solution, and for a mutant only when its caught_by names them."""
    exercise = next(each for each in EXERCISES if each.slug == "api-keys")
    slow = {check.id for check in exercise.checks if check.slow}
    assert exercise.probes is not None and slow == {"guessing-slowed-429", "wrong-keys-expire"}
    costly = slow | set(exercise.probes.checks)
    mutants = {mutant.name: mutant for mutant in exercise.mutants}

    def ids(source) -> set[str]:
        return {check.id for check in graded(exercise, source).checks}

    everything = {check.id for check in exercise.checks}
    assert ids("solution") == everything
    assert ids("starter") == everything - costly
    assert ids(mutants["key-in-query"]) == everything - costly
    assert ids(mutants["no-lockout"]) == everything - costly | {"guessing-slowed-429"}
