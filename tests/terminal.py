"""A program in a pseudo-terminal of its own, driven as a learner drives a terminal window.

The program leads its own session with the pseudo-terminal as its controlling terminal, so
closing the terminal (`hang_up`) makes the kernel send it SIGHUP, exactly as closing a terminal
window or dropping an SSH connection does. What it prints is read continuously (a full-screen
app blocks when nobody reads its terminal) and kept, with escape sequences removed, for the
test to wait on.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pyte

ANSI = re.compile(rb"\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b[\]P^_][^\x07\x1b]*(\x07|\x1b\\)|\x1b.")
KEYS = {"enter": "\r", "ctrl+c": "\x03", "ctrl+u": "\x15", "escape": "\x1b"}


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`args` running in a terminal of `size` (columns, rows)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path | None = None,
                 size: tuple[int, int] = (120, 36)) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        cwd=cwd, start_new_session=True, preexec_fn=_take_terminal)
        os.close(slave)
        self.master: int | None = master
        self._output = bytearray()
        self._screen = pyte.Screen(*size)
        self._stream = pyte.ByteStream(self._screen)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(master,), daemon=True)
        self._reader.start()

    def _read(self, master: int) -> None:
        # Never blocked in read() for long: a read in progress keeps the terminal open even after
        # close(), and the program would not get its SIGHUP.
        while not self._closing.is_set():
            if not select.select([master], [], [], 0.05)[0]:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the program closed the terminal
                return
            if not chunk:
                return
            with self._lock:
                self._output += chunk
                self._stream.feed(chunk)

    @property
    def pid(self) -> int:
        return self.process.pid

    def text(self) -> str:
        """Everything printed so far, without escape sequences."""
        with self._lock:
            raw = bytes(self._output)
        return ANSI.sub(b"", raw).decode(errors="replace")

    def screen(self) -> str:
        """What the terminal shows now, line by line."""
        with self._lock:
            return "\n".join(line.rstrip() for line in self._screen.display)

    def wait_for_text(self, text: str, timeout: float = 60) -> None:
        wait_until(lambda: text in self.text(), timeout,
                   lambda: f"{text!r} never appeared; the terminal shows:\n{self.screen()}")

    def press(self, *keys: str) -> None:
        """Type keys: names from KEYS, or literal text, one keystroke at a time (a burst of
        bytes would read as a paste)."""
        for key in keys:
            for stroke in [KEYS[key]] if key in KEYS else list(key):
                os.write(self.master, stroke.encode())
                time.sleep(0.03)

    def hang_up(self) -> None:
        """Close the terminal, as closing its window does: the program gets SIGHUP."""
        master, self.master = self.master, None
        if master is not None:
            self._closing.set()
            self._reader.join()
            os.close(master)

    def wait(self, timeout: float = 60) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        """End the program if the test left it running, and its terminal."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)
            self.process.wait(10)
        self.hang_up()


def wait_until(predicate: Callable[[], bool], timeout: float,
               explain: Callable[[], str] = lambda: "timed out") -> None:
    """Poll `predicate` until it holds; fail the test with `explain()` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, explain()
        time.sleep(0.1)


def started_with(variable: str, value: str) -> list[psutil.Process]:
    """Every running process whose environment has `variable=value`: everything a program
    started with that environment started, at any depth, whatever session it moved to."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.environ().get(variable) == value and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
    return found


def listening_ports(processes: list[psutil.Process]) -> set[int]:
    ports = set()
    for process in processes:
        with contextlib.suppress(psutil.Error):
            ports |= {c.laddr.port for c in process.net_connections("tcp")
                      if c.status == psutil.CONN_LISTEN}
    return ports


def port_open(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False
