"""The contract probes' Hypothesis keeps its caches with apilab's data, never in the folder a
learner runs `apilab check` from, and a first check from a new folder grades as any other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from apilab.app_servers import serve_app
from apilab.catalog.loader import load_course_exercise
from apilab.paths import CHECKOUT


def test_a_check_with_probes_leaves_the_learners_folder_as_it_was(tmp_path: Path):
    exercise = load_course_exercise(CHECKOUT, "reading-list")
    assert "contract" in exercise.fixtures, "the exercise has probes, so Hypothesis runs"
    learner, home = tmp_path / "my-server", tmp_path / "home"
    learner.mkdir()
    env = {**os.environ, "APILAB_HOME": str(home), "APILAB_COURSE": str(CHECKOUT)}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    with serve_app(exercise.solution_dir) as url:
        done = subprocess.run([sys.executable, "-m", "apilab", "check", "reading-list", "--url", url,
                               "--format", "json", "--seed", "7"], cwd=learner, env=env,
                              capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    assert [check["id"] for check in report["checks"] if check["status"] != "pass"] == []
    assert done.returncode == 0, done.stderr
    assert list(learner.iterdir()) == []
    assert (home / "cache" / "hypothesis").is_dir()
