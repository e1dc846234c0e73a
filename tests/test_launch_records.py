"""A launch record names the apilab process that owns what it launched: by its pid and when it
started, since pids are reused. A live apilab must always match its own records, or what it runs
is stopped as left behind by a dead one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from apilab import process_tree
from apilab.launches import Launch


def owned_by(pid: int, started: float | None) -> Launch:
    return Launch(id="test", kind="server", command=["true"], cwd=None, port=None, pid=pid,
                  pgid=pid, started_at="2026-01-01T00:00:00+00:00", owner_pid=pid,
                  owner_started=started)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_process_start_is_counted_from_boot_not_on_the_wall_clock():
    # psutil's start times are on the wall clock, which moves when the clock is set (time
    # synchronisation, a virtual machine resumed); the kernel's count of ticks since boot does not.
    after_command = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    since_boot = int(after_command[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime
    assert process_tree.identity(os.getpid()) == pytest.approx(since_boot, abs=0.05)


def test_a_live_owner_matches_its_records_and_another_start_does_not():
    started = process_tree.identity(os.getpid())
    assert owned_by(os.getpid(), started).owner_alive()
    assert not owned_by(os.getpid(), started - 5).owner_alive()  # the pid, reused since
