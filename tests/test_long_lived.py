"""What a command loads for good is loaded with the garbage collector off and frozen after, once
per process. Each case runs in a process of its own: the test runner froze its own objects."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60, check=True)
    return done.stdout.strip()


def test_what_loads_in_the_block_is_frozen_and_collecting_goes_on_after():
    assert run("""
        import gc
        from apilab import long_lived

        passes = []
        gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(info))
        with long_lived.loading():
            kept = [[index] for index in range(300_000)]  # enough to start many collections
            inside = len(passes)
        print(inside, gc.isenabled(), gc.get_freeze_count() >= len(kept))
    """) == "0 True True"


def test_a_process_that_froze_before_is_not_frozen_again():
    assert run("""
        import gc
        from apilab import long_lived

        gc.freeze()
        before = gc.get_freeze_count()
        with long_lived.loading():
            kept = [[index] for index in range(1_000)]
        print(gc.get_freeze_count() == before, gc.isenabled())
    """) == "True True"


def test_a_collector_switched_off_stays_off_and_an_error_leaves_it_as_it_was():
    assert run("""
        import gc
        from apilab import long_lived

        gc.disable()
        with long_lived.loading():
            pass
        off = not gc.isenabled()
        gc.enable()
        try:
            with long_lived.loading():
                raise ValueError
        except ValueError:
            pass
        print(off, gc.isenabled())
    """) == "True True"
