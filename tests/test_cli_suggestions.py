"""What `apilab check` says when the learner's address or words are not quite right: each mistake
gets exit 2 and the command that works; Ctrl-C is the shell's 130; a slow check is named while it runs."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
import time

from apilab.catalog.models import Check
from apilab.grading_progress import SlowChecks
from grader.runner import Progress
from tests.helpers import FIXTURE_COURSE


def test_a_url_with_a_path_is_refused_with_the_servers_address(cli, hello_solution_url):
    result = cli("check", "hello-api", "--url", f"{hello_solution_url}/items")
    assert result.exit_code == 2
    assert "has a path (/items)" in result.output and f"try --url {hello_solution_url}" in result.output
    assert cli("check", "hello-api", "--url", f"{hello_solution_url}/").exit_code == 0


def test_https_to_a_plain_http_server_grades_nothing_and_says_use_http(cli, hello_solution_url):
    address = hello_solution_url.removeprefix("http://")
    result = cli("check", "hello-api", "--url", f"https://{address}")
    assert result.exit_code == 2, result.output
    assert "does not speak TLS" in result.output and f"use http://{address}" in result.output
    assert "Nothing was graded." in result.output


def test_an_underscore_for_a_hyphen_gets_the_exercise_suggested(cli):
    result = cli("check", "hello_api")
    assert result.exit_code == 2 and "did you mean hello-api?" in result.output


def test_ctrl_c_during_a_check_exits_130(tmp_path):
    """A server that accepts and never answers: the check waits on it, and Ctrl-C ends it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env = {**os.environ, "APILAB_HOME": str(tmp_path), "APILAB_COURSE": str(FIXTURE_COURSE)}
        check = subprocess.Popen([sys.executable, "-m", "apilab", "check", "hello-api", "--url", url],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        silent.settimeout(30)
        connection, _ = silent.accept()  # the grader is connected: it is grading now
        connection.close()
        time.sleep(0.5)
        check.send_signal(signal.SIGINT)
        out, err = check.communicate(timeout=30)
    assert check.returncode == 130, (out, err)
    assert "apilab: stopped; nothing was graded or recorded." in err


async def test_a_slow_check_is_named_while_it_runs_and_a_quick_one_is_not():
    check = Check(id="slow", title="GET /slow answers", points=1, why="why",
                  steps=[{"method": "GET", "path": "/slow"}])
    said = io.StringIO()
    progress = SlowChecks(said, after=0.2)
    progress(Progress(index=0, total=3, check=check))
    progress.close()  # the run ended before 0.2 s
    await asyncio.sleep(0.3)
    assert said.getvalue() == ""
    progress(Progress(index=1, total=3, check=check))
    await asyncio.sleep(0.3)
    assert said.getvalue() == "apilab: grading 2 of 3, slow: waiting for your server…\n"
    progress.close()


async def test_a_check_that_waits_by_design_says_so_rather_than_blame_the_server():
    check = Check(id="lockout", title="Locked out, then let in", points=1, why="why", slow=True,
                  steps=[{"method": "GET", "path": "/slow"}])
    said = io.StringIO()
    progress = SlowChecks(said, after=0.1)
    progress(Progress(index=0, total=1, check=check))
    await asyncio.sleep(0.2)
    assert said.getvalue() == ("apilab: grading 1 of 1, lockout: waiting, as this check must "
                               "(a time window or a lockout to pass)…\n")
