"""A search lets Hypothesis draw its examples before it probes them (in the event loop's thread, no
hand-over per example), and still does what a search that waited for every answer would: the
same values probed in the same order (a failure shrunk to the simplest), the same from the same
seed, and a probe's error raised, not swallowed.

The probes here are coroutines on the test's event loop, as a check's are; what they judge is a
number, so that what Hypothesis should shrink to is known.
"""

from __future__ import annotations

import asyncio
import random
import threading

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from grader.contract.budget import Budget
from grader.contract.explore import Explorer, Finding, prepare

EXAMPLES = 60
VALUES = st.integers(0, 10_000)


@pytest.fixture(scope="module", autouse=True)
def hypothesis_ready() -> None:
    prepare()


def explorer(seed: int) -> Explorer:
    with Budget(float("inf"), {}).spending() as share:
        return Explorer(random.Random(seed), share)


async def searched(seed: int, fails_from: int | None) -> tuple[Finding | None, list[int], Explorer]:
    """Search integers with a probe that fails on `fails_from` and above; what it found, every
    value probed in order, and the explorer."""
    probed: list[int] = []

    async def probe(value: int) -> Finding | None:
        probed.append(value)
        await asyncio.sleep(0)  # an answer takes a turn of the loop, as a server's does
        if fails_from is not None and value >= fails_from:
            return Finding(f"{value} is too large", f"below {fails_from}", str(value))
        return None

    chosen = explorer(seed)
    finding = await chosen.search(VALUES, probe, examples=EXAMPLES)
    return finding, probed, chosen


def waiting(seed: int, fails_from: int) -> list[int]:
    """The values a search that waits for every answer probes: Hypothesis run as the explorer
    runs it (same seed, settings and phases), judging each value on the spot."""
    probed: list[int] = []

    @settings(max_examples=EXAMPLES, database=None, deadline=None,
              phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @hypothesis.seed(random.Random(seed).getrandbits(64))
    @given(VALUES)
    def test(value: int) -> None:
        probed.append(value)
        assert value < fails_from

    with pytest.raises(AssertionError):
        test()
    return probed


@pytest.mark.parametrize("seed", [5, 11, 2024])
async def test_a_failure_is_shrunk_as_if_each_answer_had_been_awaited(seed):
    finding, probed, chosen = await searched(seed, fails_from=700)
    assert finding is not None and finding.message == "700 is too large"
    # The search starts over to shrink, the examples it had probed answered as recorded: the
    # server sees the same requests, in the same order, as from a search that waited.
    assert probed == waiting(seed, fails_from=700)
    assert chosen.examples == len(probed)
    assert chosen.shrinks == sum(value >= 700 for value in probed)


async def test_the_same_seed_probes_the_same_values():
    first = await searched(seed=11, fails_from=300)
    again = await searched(seed=11, fails_from=300)
    assert first[1] == again[1]
    assert first[0] is not None and again[0] is not None and first[0].message == again[0].message


async def test_a_passing_search_probes_each_example_once():
    finding, probed, chosen = await searched(seed=3, fails_from=None)
    assert finding is None
    assert 0 < len(probed) <= EXAMPLES and chosen.examples == len(probed) and chosen.shrinks == 0


async def test_a_passing_search_draws_in_the_event_loops_thread():
    """A thread is started only to shrink a failure: handing each example from one thread to
    the other cost a passing search about a millisecond an example."""
    drawn_in: set[int] = set()

    def noted(value: int) -> int:
        drawn_in.add(threading.get_ident())
        return value

    async def probe(_value: int) -> Finding | None:
        return None

    assert await explorer(seed=4).search(VALUES.map(noted), probe, examples=EXAMPLES) is None
    assert drawn_in == {threading.get_ident()}


async def test_an_error_in_a_probe_is_raised():
    async def probe(value: int) -> Finding | None:
        if value > 50:
            raise RuntimeError(f"the probe broke on {value}")
        return None

    with pytest.raises(RuntimeError, match="the probe broke on"):
        await explorer(seed=8).search(VALUES, probe, examples=EXAMPLES)


async def test_a_seed_probes_the_same_values_whatever_else_is_loaded(tmp_path, monkeypatch):
    """Hypothesis would mix into its draws the numbers written in any module loaded from outside
    site-packages (apilab's own, when installed editable; the app's, not the CLI's): a run's seed
    would then replay differently in the app, the CLI and a wheel install."""
    before = await searched(seed=17, fails_from=None)
    module = tmp_path / "learner_numbers.py"
    module.write_text("NUMBERS = [" + ", ".join(str(1000 + 7 * i) for i in range(300)) + "]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("learner_numbers")
    after = await searched(seed=17, fails_from=None)
    assert after[1] == before[1]
