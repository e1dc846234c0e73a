"""However apilab ends, nothing it started outlives it: the app, `apilab serve`, `apilab notebook`,
and the servers `apilab verify` serves.

Each test runs the real `apilab` in a pseudo-terminal of its own, with a real learner server (and
the sandbox, and Jupyter with a kernel), ends it the way a learner's session ends (q, Ctrl-C, the
terminal closing, `kill`, `kill -9`, a crash), and then looks for any process still carrying the
test's own APILAB_HOME in its environment: everything apilab starts inherits it, at any depth, in
whatever session it moved to. None may be left, and every port they listened on must be free.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from types import SimpleNamespace

import httpx
import psutil
import pytest

from apilab.ports import free_port
from tests.helpers import FIXTURE_COURSE
from tests.terminal import Terminal, listening_ports, port_open, started_with, wait_until

# Real apps, servers and Jupyter, several at once on a busy machine: more time than most tests.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

APILAB = [sys.executable, "-m", "apilab"]
STUBBORN_SERVER = """
import http.server, os, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a server that does not stop when asked
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""


@pytest.fixture
def learner(tmp_path):
    """A copy of the fixture course and an APILAB_HOME of its own, as a terminal's environment
    (no graphical display: nothing tries to open a browser)."""
    course = tmp_path / "course"
    shutil.copytree(FIXTURE_COURSE, course, ignore=shutil.ignore_patterns("work", "__pycache__"))
    home = tmp_path / "home"
    env = {**os.environ, "APILAB_COURSE": str(course), "APILAB_HOME": str(home),
           "TERM": "xterm-256color", "PYTHONUNBUFFERED": "1"}
    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "TEXTUAL"):
        env.pop(variable, None)
    learner = SimpleNamespace(course=course, home=home, env=env, terminals=[])
    yield learner
    for terminal in learner.terminals:
        terminal.close()
    for process in started_with("APILAB_HOME", str(home)):  # a failed test leaves nothing either
        process.kill()


def left_behind(learner, terminal: Terminal | subprocess.Popen) -> list[psutil.Process]:
    return [p for p in started_with("APILAB_HOME", str(learner.home)) if p.pid != terminal.pid]


def assert_nothing_left(learner, terminal: Terminal | subprocess.Popen, ports: set[int]) -> None:
    wait_until(lambda: not left_behind(learner, terminal), 30,
               lambda: f"still running: {[p.cmdline() for p in left_behind(learner, terminal)]}")
    # Another test running alongside may take a freed port (8000 is every app's first choice):
    # an open port counts against this one only when no other test's process listens on it.
    assert [port for port in ports if port_open(port) and not other_tests(learner, port)] == []


def other_tests(learner, port: int) -> bool:
    """Whether a process of another test (an APILAB_HOME not this learner's) listens on `port`."""
    for connection in psutil.net_connections("tcp"):
        if connection.laddr.port == port and connection.status == psutil.CONN_LISTEN and connection.pid:
            with contextlib.suppress(psutil.Error):
                home = psutil.Process(connection.pid).environ().get("APILAB_HOME")
                if home not in (None, str(learner.home)):
                    return True
    return False


def run(learner, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*APILAB, *args], env=learner.env, capture_output=True, text=True,
                          timeout=120)


# --- the app --------------------------------------------------------------------------------


def app_serving(learner, args: list[str] | None = None) -> tuple[Terminal, set[int]]:
    """The app in a terminal, with the sandbox and the learner's server (exercise 1, p) running,
    and the server graded once (r); the ports they listen on."""
    port = free_port()
    terminal = Terminal([*(args or APILAB), "app", "--url", f"http://127.0.0.1:{port}"],
                        learner.env)
    learner.terminals.append(terminal)
    terminal.wait_for_text("Next step", 120)
    sandbox = lambda: [p for p in left_behind(learner, terminal)  # noqa: E731
                       if "sandbox_api.server" in p.cmdline()]
    wait_until(lambda: bool(listening_ports(sandbox())), 120, terminal.screen)
    terminal.press("n")  # the next exercise
    terminal.wait_for_text("not serving (p", 120)
    terminal.press("p")
    wait_until(lambda: port_open(port), 120, terminal.screen)
    terminal.press("r")  # graded in a process of the app's own, which must end with it too
    wait_until(lambda: any("spawn_main" in " ".join(p.cmdline()) for p in left_behind(learner, terminal)),
               120, terminal.screen)
    terminal.wait_for_text("points", 120)
    ports = listening_ports(left_behind(learner, terminal))
    assert port in ports and len(ports) == 2  # the learner's server and the sandbox
    return terminal, ports


ENDINGS = {
    "q": lambda terminal: terminal.press("q"),
    "ctrl+c": lambda terminal: terminal.press("ctrl+c"),
    "terminal closed (SIGHUP)": lambda terminal: terminal.hang_up(),
    "SIGTERM": lambda terminal: os.kill(terminal.pid, signal.SIGTERM),
    "SIGINT": lambda terminal: os.kill(terminal.pid, signal.SIGINT),
    "kill -9": lambda terminal: os.kill(terminal.pid, signal.SIGKILL),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_however_the_app_ends_nothing_it_started_is_left(learner, ending):
    terminal, ports = app_serving(learner)
    ENDINGS[ending](terminal)
    terminal.wait(60)
    assert_nothing_left(learner, terminal, ports)


def test_a_terminal_gone_without_a_sighup_ends_the_app_all_the_same(learner):
    # As under `make run` in a terminal that closes: make leads the terminal's session, gets the
    # SIGHUP and does not pass it on (here a shell that ignores it); or a dropped SSH connection.
    port = free_port()
    terminal = Terminal(["sh", "-c", 'trap "" HUP; "$@"; exit $?', "sh", *APILAB, "app", "--url",
                         f"http://127.0.0.1:{port}"], learner.env)
    learner.terminals.append(terminal)
    terminal.wait_for_text("Next step", 120)
    app = lambda: [p for p in left_behind(learner, terminal) if "app" in p.cmdline()]  # noqa: E731
    wait_until(lambda: bool(listening_ports(left_behind(learner, terminal))), 120, terminal.screen)
    ports = listening_ports(left_behind(learner, terminal))
    terminal.hang_up()
    assert terminal.wait(60) == 129, "the app ended as on SIGHUP, and the shell with it"
    assert app() == []
    assert_nothing_left(learner, terminal, ports)


CRASHING_APP = """
from tui.screens.exercise import ExerciseScreen
def crash(self):
    raise RuntimeError("a bug in apilab")
ExerciseScreen.action_history = crash  # h now raises, as a bug in the app would
from apilab.cli import main
main()
"""


def test_a_crash_of_the_app_leaves_nothing_either(learner):
    terminal, ports = app_serving(learner, [sys.executable, "-c", CRASHING_APP])
    terminal.press("h")
    assert terminal.wait(60) != 0
    assert "a bug in apilab" in terminal.text()
    assert_nothing_left(learner, terminal, ports)


HANGING_UNWIND = """
import threading, time
from apilab.commands.foreground import until_stopped
from apilab.processes import Processes

def run():
    # a thread that never ends, as a library's worker that missed its stop would be
    threading.Thread(target=time.sleep, args=(3600,)).start()
    print("ready", flush=True)
    time.sleep(3600)

until_stopped(Processes(), run)
"""


def test_a_command_whose_unwinding_hangs_still_ends_when_killed(learner):
    process = subprocess.Popen([sys.executable, "-c", HANGING_UNWIND], env=learner.env,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "ready\n"
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 128 + signal.SIGTERM
    finally:
        process.kill()
        process.stdout.close()


# --- apilab serve ---------------------------------------------------------------------------


def serve_in_terminal(learner, *extra: str) -> tuple[Terminal, int]:
    assert run(learner, "start", "hello-api").returncode == 0
    port = free_port()
    terminal = Terminal([*APILAB, "serve", "hello-api", "--port", str(port), *extra], learner.env)
    learner.terminals.append(terminal)
    wait_until(lambda: port_open(port), 60, terminal.screen)
    # And the process it keeps ready for `apilab check`, which must end with it too.
    wait_until(lambda: any((learner.home / "ready").glob("*.sock")), 60, terminal.screen)
    return terminal, port


@pytest.mark.parametrize("ending", ["terminal closed (SIGHUP)", "SIGTERM", "ctrl+c", "kill -9"])
def test_however_serve_ends_the_server_ends_with_it(learner, ending):
    terminal, port = serve_in_terminal(learner)
    ENDINGS[ending](terminal)
    terminal.wait(60)
    assert_nothing_left(learner, terminal, {port})
    assert list((learner.home / "ready").glob("*.sock")) == []  # no ready process's either


def test_a_server_left_behind_is_stopped_and_named_never_graded(learner, tmp_path):
    script = tmp_path / "stubborn.py"
    script.write_text(STUBBORN_SERVER)
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    terminal, port = serve_in_terminal(learner, "--cmd", command)
    os.kill(terminal.pid, signal.SIGKILL)  # apilab is killed; its server ignores SIGTERM
    terminal.wait(60)
    # Its ready process ends (the kernel signals it), the stubborn server does not.
    wait_until(lambda: len(left_behind(learner, terminal)) == 1, 30,
               lambda: f"running: {[p.cmdline() for p in left_behind(learner, terminal)]}")
    assert port_open(port) and str(script) in left_behind(learner, terminal)[0].cmdline()

    result = run(learner, "check", "hello-api", "--url", f"http://127.0.0.1:{port}")
    assert result.returncode == 2, result.stdout + result.stderr  # nothing graded
    assert f"Stopped your server (python {script})" in result.stderr
    assert f"on port {port}" in result.stderr and "left running by an apilab" in result.stderr
    assert "nothing" in result.stdout.lower()  # nothing listens there any more
    assert_nothing_left(learner, terminal, {port})
    assert list((learner.home / "processes").glob("*.json")) == []


# What `apilab verify` (and the benchmarks and tests) run to serve an exercise: two servers, as
# verify serves a solution and its mutants at once, printed once they listen.
SERVING = """
import sys, time
from pathlib import Path
from apilab.app_servers import serve_apps
with serve_apps([Path(sys.argv[1])] * 2) as urls:
    print(" ".join(urls), flush=True)
    time.sleep(300)
"""


@pytest.mark.parametrize("ending", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
                         ids=["SIGTERM", "terminal closed (SIGHUP)", "kill -9"])
def test_however_verify_ends_the_servers_it_serves_end_with_it(learner, ending):
    """The servers are forked by a fork server, not by the process that asked for them, and the
    fork server lives as long as any of them: when that process is ended with no chance to stop
    them, they must end by themselves."""
    solution = learner.course / "exercises" / "hello-api" / "solution"
    serving = subprocess.Popen([sys.executable, "-c", SERVING, str(solution)], env=learner.env,
                               stdout=subprocess.PIPE, text=True)
    ports = {int(url.rsplit(":", 1)[1]) for url in serving.stdout.readline().split()}
    assert len(ports) == 2 and all(port_open(port) for port in ports)
    assert len(left_behind(learner, serving)) >= 3  # the fork server and its two servers, at least

    serving.send_signal(ending)
    serving.wait(30)
    serving.stdout.close()
    assert_nothing_left(learner, serving, ports)


# --- apilab notebook ------------------------------------------------------------------------


# SIGTERM and kill -9 take the same path as for apilab serve (tested above); Jupyter is slow to
# start, so only what a learner does to it is repeated here.
@pytest.mark.parametrize("ending", ["terminal closed (SIGHUP)", "ctrl+c"])
def test_however_notebook_ends_jupyter_its_kernels_and_the_sandbox_end(learner, ending):
    sandbox_port = free_port()
    terminal = Terminal([*APILAB, "notebook", "1", "--port", str(sandbox_port)], learner.env)
    learner.terminals.append(terminal)
    terminal.wait_for_text("run until you press Ctrl-C", 120)
    url = re.search(r"notebook: (http://\S+\?token=\S+)", terminal.text()).group(1)
    base, token = url.split("/lab/")[0], url.split("token=")[1]
    kernel = httpx.post(f"{base}/api/kernels", json={"name": "python3"}, timeout=60,
                        headers={"Authorization": f"token {token}"}, trust_env=False)
    assert kernel.status_code == 201, kernel.text
    kernels = lambda: [p for p in left_behind(learner, terminal)  # noqa: E731
                       if "ipykernel_launcher" in " ".join(p.cmdline())]
    wait_until(lambda: bool(kernels()), 60)
    ports = listening_ports(left_behind(learner, terminal))
    assert sandbox_port in ports and int(base.rsplit(":", 1)[1]) in ports

    ENDINGS[ending](terminal)
    terminal.wait(60)
    assert_nothing_left(learner, terminal, ports)
