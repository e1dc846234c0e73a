"""`apilab check` run by a process that loaded apilab before it was asked: a ready process.

A new `apilab check` spends a third of its time before it sends its first request: the
interpreter loads click, pydantic, the grader and Hypothesis (a quarter of a second and more),
which no cache can spare a new process. So while `apilab serve` runs a learner's server, it keeps
one process ready beside it (`ReadyProcesses`): one that has loaded all that and readied
Hypothesis, and waits on a socket of its own under APILAB_HOME/ready/. `apilab check` and
`apilab submit` (`delegated`, the entry point's first step) look for one; when there is one, they
hand it their command line, working folder, environment and terminal (the three descriptors, over
the socket), and it runs the very same command line, there, as if it were them: same output,
same exit code, Ctrl-C and `kill` passed on to it. Each ready process runs one command and ends;
`apilab serve` makes the next one as soon as the last is taken.

A ready process serves only a command line of the same apilab: the same interpreter and the same
source files (names, sizes, modification times), compared when it is asked. Otherwise, or when
there is none, or on a system without descriptor passing (Windows), the command runs as always,
in its own process. The socket is the user's alone (a folder only they may enter).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apilab.processes import Processes

COMMANDS = ("check", "submit")  # what a ready process runs: commands that grade, nothing interactive
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # passed on to the ready process
READY_WAIT = 0.25  # seconds between looks at whether the ready process was taken
GIVE_UP_AFTER = 3  # ready processes in a row that end without being taken: something is wrong


def supported() -> bool:
    return os.name == "posix" and hasattr(socket, "send_fds")


def folder(home: Path) -> Path:
    """Where ready processes listen: a folder only this user may enter."""
    where = home / "ready"
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    return where


def code_stamp() -> str:
    """The interpreter and apilab's own source files (the apilab and grader packages), as names,
    sizes and modification times: two processes with one stamp run the same code. Written out
    whole (some kilobytes) rather than hashed: loading hashlib costs this command line more
    than sending them."""
    grader = importlib.util.find_spec("grader")
    roots = [Path(__file__).resolve().parent]
    if grader is not None and grader.submodule_search_locations:
        roots.append(Path(next(iter(grader.submodule_search_locations))).resolve())
    stamp = [f"{sys.executable}\0{sys.version}"]
    for root in roots:
        for directory, subfolders, names in os.walk(root):
            # The installed course (apilab/course/) is data, read afresh by every command.
            skipped = {"__pycache__", "course"} if directory == str(roots[0]) else {"__pycache__"}
            subfolders[:] = sorted(name for name in subfolders if name not in skipped)
            for name in sorted(names):
                with contextlib.suppress(OSError):
                    stat = os.stat(os.path.join(directory, name))
                    stamp.append(f"{directory}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return "\n".join(stamp)


# --- the command line's side ----------------------------------------------------------------------


def delegated(argv: list[str]) -> int | None:
    """Run `argv` in a ready process and return its exit code; None when there is no ready
    process of this apilab (the caller then runs the command itself)."""
    if len(argv) < 2 or argv[1] not in COMMANDS or not supported():
        return None
    from apilab.paths import data_home

    try:  # only listed: a command line that finds no folder makes none
        candidates = sorted((data_home() / "ready").glob("*.sock"), key=_age)
        here = os.getcwd()  # gone (deleted meanwhile): the command, run here, says so
    except OSError:
        return None
    stamp = None
    for path in candidates:
        connection = _connected(path)
        if connection is None:
            continue
        stamp = stamp or code_stamp()
        with connection:
            code = _run_there(connection, argv, stamp, here)
        if code is not None:
            return code
    return None


def _age(path: Path) -> float:
    with contextlib.suppress(OSError):
        return -path.stat().st_mtime  # the newest first: the oldest may be an earlier apilab's
    return 0.0


def _connected(path: Path) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _inside(path.parent):
            connection.connect(path.name)
    except ConnectionRefusedError:  # its process is gone: the socket is a leftover
        connection.close()
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    except OSError:  # taken meanwhile, or not ours
        connection.close()
        return None
    return connection


def _run_there(connection: socket.socket, argv: list[str], stamp: str, here: str) -> int | None:
    """Hand the command to the ready process at the other end; its exit code, or None when it
    declined (another apilab's) before starting it."""
    # The name click would give the command in its messages, as it would find it here.
    program = "python -m apilab" if argv[0].endswith("__main__.py") else os.path.basename(argv[0])
    request = {"stamp": stamp, "argv": argv, "program": program, "cwd": here,
               "env": dict(os.environ), "encoding": sys.stdout.encoding, "errors": sys.stdout.errors}
    try:
        socket.send_fds(connection, [b"\0"], [0, 1, 2])
        connection.sendall(json.dumps(request).encode() + b"\n")
        replies = connection.makefile("rb")
        first = json.loads(replies.readline() or b"{}")
    except (OSError, ValueError):
        return None
    pid = first.get("pid")
    if not isinstance(pid, int):
        return None  # declined: another apilab's, or it could not start
    previous = {sig: signal.signal(sig, lambda signum, _frame: _pass_on(pid, signum))
                for sig in FORWARDED}
    try:
        line = replies.readline()  # the exit code, once the command has run
    except OSError:
        line = b""
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    with contextlib.suppress(ValueError):
        code = json.loads(line or b"{}").get("exit")
        if isinstance(code, int):
            return code
    print("apilab: the process that ran this command ended before it finished; run it again.",
          file=sys.stderr)
    return 1


@contextlib.contextmanager
def _inside(where: Path) -> Iterator[None]:
    """In `where` for a moment: a socket's address is its path, at most about a hundred bytes
    long, and a learner's data folder may be deeper than that; its name alone never is."""
    back = os.getcwd()
    os.chdir(where)
    try:
        yield
    finally:
        os.chdir(back)


def _pass_on(pid: int, signum: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signum)


# --- the ready process's side ---------------------------------------------------------------------


def main() -> None:
    """`python -m apilab.ready SOCKET`: load apilab, listen at SOCKET, run one command line."""
    path = Path(sys.argv[1])
    stamp = code_stamp()  # before loading: a file changed meanwhile makes the stamps differ
    _load()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    temporary = path.with_name(f".{path.name}")
    # Stopped while it waits (`apilab serve` ends): the socket goes with it, whenever the signal
    # comes, the moment it appears included.
    signal.signal(signal.SIGTERM, _stopped_waiting)
    try:
        with _inside(path.parent):
            listener.bind(temporary.name)
        listener.listen(1)
        os.replace(temporary, path)  # it appears ready to take a connection
        connection, _address = listener.accept()
    except _Stopped as stopped:
        _remove(temporary, path)
        # At once: nothing to flush, and unwinding all it loaded would keep it running a while
        # after `apilab serve` is gone.
        os._exit(stopped.args[0])
    finally:
        listener.close()
        _remove(temporary, path)  # taken: `apilab serve` makes the next one
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # from here on, as the command's own process
    _serve(connection, stamp)


class _Stopped(BaseException):
    """`apilab serve` ended while this process waited for a command line."""


def _stopped_waiting(signum: int, _frame: object) -> None:
    """End the wait, once: a stop comes to the process and to its group, so twice, and the second
    must not cut short the clean-up the first began (the socket would stay behind)."""
    signal.signal(signum, signal.SIG_IGN)
    raise _Stopped(128 + signum)


def _remove(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def _load() -> None:
    """What `apilab check` loads, Hypothesis readied: the cost this process is here to pay ahead."""
    from apilab import paths

    # Where `apilab check` keeps Hypothesis' caches (see `apilab.cli.main`), before it is loaded.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                          str(paths.data_home() / "cache" / "hypothesis"))
    import apilab.cli  # noqa: F401
    import apilab.commands.grading  # noqa: F401
    import grader.contract.session  # noqa: F401
    import grader.render  # noqa: F401
    import grader.runner  # noqa: F401
    from grader.contract.explore import prepare

    prepare()


def _serve(connection: socket.socket, stamp: str) -> None:
    _marker, descriptors, _flags, _address = socket.recv_fds(connection, 1, 3)
    replies = connection.makefile("rb")
    request = json.loads(replies.readline() or b"{}")
    if request.get("stamp") != stamp or len(descriptors) != 3:
        connection.sendall(b'{"declined": "another apilab"}\n')
        return
    for target, descriptor in enumerate(descriptors):
        os.dup2(descriptor, target)
        os.close(descriptor)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    text = {"encoding": request.get("encoding") or "utf-8", "errors": request.get("errors")}
    sys.stdin = open(0, closefd=False, **text)  # noqa: SIM115 - the command's own, as at a start
    sys.stdout = open(1, "w", closefd=False, **text)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False, encoding=text["encoding"], errors="backslashreplace")  # noqa: SIM115
    connection.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    threading.Thread(target=_end_with, args=(connection,), daemon=True).start()
    code = _exit_code(lambda: _run_command(request.get("program") or "apilab"))
    import atexit

    atexit._run_exitfuncs()  # as at the end of a process of its own, before the code is told
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps({"exit": code}).encode() + b"\n")
    os._exit(0)


def _run_command(program: str) -> None:
    from apilab.cli import main as cli

    cli(prog_name=program)


def _exit_code(run: Any) -> int:
    """What `run()` would have made the process's exit status."""
    try:
        run()
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            return exit_.code or 0
        print(exit_.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except BaseException:  # noqa: BLE001 - as an uncaught error ends a process: shown, status 1
        import traceback

        traceback.print_exc()
        return 1
    return 0


def _end_with(connection: socket.socket) -> None:
    """End this process when the command line that handed it its command is gone (killed):
    it would have ended with it."""
    with contextlib.suppress(OSError):
        while connection.recv(1):
            pass
    os._exit(128 + signal.SIGTERM)


# --- `apilab serve`'s side ------------------------------------------------------------------------


class ReadyProcesses:
    """Keeps one ready process waiting while `apilab serve` runs: a new one as soon as the last
    is taken. The processes are `processes`' children, so they end when it stops them all."""

    def __init__(self, processes: Processes, home: Path) -> None:
        self.processes = processes
        self.home = home
        self._stopped = threading.Event()

    def start(self) -> None:
        if supported():
            threading.Thread(target=self._keep, name="apilab-ready", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    def _keep(self) -> None:
        import uuid

        from apilab.processes import LaunchError

        untaken = 0
        while not self._stopped.is_set() and untaken < GIVE_UP_AFTER:
            try:  # when none can be made, checks run as they always did
                path = folder(self.home) / f"{uuid.uuid4().hex[:12]}.sock"
                child = self.processes.spawn([sys.executable, "-m", "apilab.ready", str(path)],
                                             kind="ready", output=self.home / "logs" / "ready.log")
            except (LaunchError, OSError):
                return
            listened = False
            while not self._stopped.is_set() and child.poll() is None:
                if path.exists():
                    listened = True
                elif listened:
                    break  # taken: make the next one while it runs the command
                time.sleep(READY_WAIT)
            untaken = 0 if listened else untaken + 1


if __name__ == "__main__":
    main()
