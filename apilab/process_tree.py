"""Starting a program so that it can always be stopped with everything it spawned.

The operating system does the bookkeeping, not a list kept by hand:
- each child leads its own session (so its own process group): stopping it signals the whole
  group, which holds uvicorn's workers, a shell's commands, Node's children;
- on Linux each child also asks the kernel for SIGTERM when apilab dies (`PR_SET_PDEATHSIG`), so
  even `kill -9` of apilab, or a crash that skips every `finally`, leaves nothing running;
- each child carries a tag in its environment (`APILAB_LAUNCH=<id>`), inherited by everything it
  starts. Jupyter starts its kernels in sessions of their own, out of reach of the group; the tag
  still finds them, and finds what a killed apilab left behind on the next start.

The parent-death signal fires when the *thread* that forked the child ends, not the process, so
children are forked from one long-lived launcher thread rather than from short-lived workers.

psutil and ctypes are imported by the functions that use them: the app imports this module to
start programs, and its first screen should not wait for them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psutil

TAG = "APILAB_LAUNCH"  # the environment variable that marks every process of one launch
GRACE = 5.0  # seconds a program gets to stop after SIGTERM, before SIGKILL
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_launcher: ThreadPoolExecutor | None = None
_launcher_lock = threading.Lock()


def popen(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """`subprocess.Popen(command, **kwargs)` in a new session, stopped by the kernel if this
    process dies (Linux). Raises what Popen raises."""
    hook = _parent_death_hook(os.getpid())
    if hook is None:
        return subprocess.Popen(command, start_new_session=True, **kwargs)
    return _launcher_thread().submit(
        subprocess.Popen, command, start_new_session=True, preexec_fn=hook, **kwargs).result()


def _launcher_thread() -> ThreadPoolExecutor:
    global _launcher
    with _launcher_lock:
        if _launcher is None:
            _launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="apilab-launcher")
        return _launcher


def _parent_death_hook(parent: int) -> Callable[[], None] | None:
    """A preexec function asking for SIGTERM when `parent` dies; None where Linux's prctl is
    missing. Everything it needs is looked up here, in the parent, so the child only calls."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    getppid, kill, getpid = os.getppid, os.kill, os.getpid

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if getppid() != parent:  # the parent died before prctl took effect
            kill(getpid(), signal.SIGTERM)

    return hook


def tagged(tag: str) -> list[psutil.Process]:
    """Every running process whose environment carries `APILAB_LAUNCH=tag` (only processes of
    this user can be read, which are the only ones apilab starts)."""
    import psutil

    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.environ().get(TAG) == tag:
                found.append(process)
    return found


def members(leader: int | None, tag: str | None) -> list[psutil.Process]:
    """The processes of one launch: the leader and its descendants, the tagged processes and
    theirs. Never this process or its own group."""
    import psutil

    found: dict[int, psutil.Process] = {}
    roots: list[psutil.Process] = []
    if leader is not None:
        with contextlib.suppress(psutil.Error):
            roots.append(psutil.Process(leader))
    if tag is not None:
        roots += tagged(tag)
    for root in roots:
        with contextlib.suppress(psutil.Error):
            found.setdefault(root.pid, root)
            for child in root.children(recursive=True):
                found.setdefault(child.pid, child)
    own = {os.getpid(), os.getpgrp()}
    return [p for p in found.values() if p.pid not in own and _running(p)]


def stop(leader: subprocess.Popen[bytes] | None, tag: str | None, grace: float = GRACE) -> int:
    """Stop a launch and everything it spawned: SIGTERM to each of its process groups and
    processes, SIGKILL to what is left after `grace` seconds. Returns how many processes were
    signalled. Safe to call when they are already gone."""
    processes = members(leader.pid if leader and leader.poll() is None else None, tag)
    if processes:
        _signal(processes, signal.SIGTERM)
        survivors = _wait(processes, leader, grace)
        if survivors:
            _signal(survivors, signal.SIGKILL)
            _wait(survivors, leader, grace)
    if leader is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            leader.wait(timeout=grace)  # reap it, so no zombie is left behind
    return len(processes)


def _signal(processes: Iterable[psutil.Process], sig: signal.Signals) -> None:
    import psutil

    pids = {p.pid for p in processes}
    own_group = os.getpgrp()
    for process in processes:
        with contextlib.suppress(psutil.Error, OSError):
            group = os.getpgid(process.pid)
            if group in pids and group != own_group:  # a group this launch leads: all of it
                os.killpg(group, sig)
            process.send_signal(sig)


def _wait(processes: list[psutil.Process], leader: subprocess.Popen[bytes] | None,
          timeout: float) -> list[psutil.Process]:
    """Wait until every process has ended; those still running after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if leader is not None:
            leader.poll()  # reap our own child, or it would linger as a zombie
        alive = [p for p in processes if _running(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.02)


def _running(process: psutil.Process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def listens(pid: int, port: int) -> bool:
    """True when the process `pid` itself listens on TCP `port` (not another program there)."""
    import psutil

    try:
        connections = psutil.Process(pid).net_connections("tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in connections)


def identity(pid: int) -> float | None:
    """When the process `pid` started, in seconds since the machine booted (a stable identity:
    pids are reused), or None if gone. Counted from boot because psutil gives a start time on
    the wall clock, which moves when the clock is set (time synchronisation, a virtual machine
    resumed): a live apilab would then no longer match its own launch records, and what it runs
    would be stopped as left behind by a dead one."""
    import psutil

    try:
        return psutil.Process(pid).create_time() - psutil.boot_time()
    except psutil.Error:
        return None
