"""Lockouts, as checks of every topic that limits guessing see them (OWASP API4:2023): wrong
guesses sent until a 429 comes, the 429 itself (a problem with a Retry-After, RFC 6585 §4),
waiting it out, and the right credential refused while it lasts and working after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from grader.context import CheckContext
from grader.http_helpers import PROBLEM_MEMBERS, expect_problem
from grader.wire import Received


async def until_locked_out(ctx: CheckContext, wrong_guess: Callable[[], Awaitable[Received]],
                           attempts: int, guesses: str, whose: str = "",
                           described: str = "", after_lockout: bool = False,
                           note: str = "") -> tuple[Received, int]:
    """The 429 that repeated wrong guesses (`wrong_guess()` sends one) lead to within
    `attempts` tries, each answered 401 until then, and the try it came at; `guesses` names
    them ("wrong keys"), for `whose` account if any (`described` instead in the failure that
    none was refused). With `after_lockout`, the guesses follow a lockout that has ended, and
    the failures say so. `note` adds, to the failure that the lockout came late or never, what a
    server may have miscounted in the guesses."""
    one = guesses.removesuffix("s")
    of = f" for {whose}" if whose else ""
    since = "once the first lockout was over, " if after_lockout else ""
    for attempt in range(1, attempts + 1):
        response = await wrong_guess()
        if response.status == 429:
            return response, attempt
        ctx.expect(response.status == 401, f"{since}{one} #{attempt}{of} answered {response.status}",
                   expected="401 (or 429 once locked out)", received=f"status {response.status}")
    of = f" for {described or whose}" if described or whose else ""
    # After a first lockout, none now means a lockout that comes late (the first came only
    # because earlier checks' wrong keys counted too) or only once.
    outcome = (f"the lockout must begin with the request after {one} #{attempts - 1}, and "
               "it came later than that, or only once" if after_lockout
               else "nothing slows a guesser down")
    ctx.fail(f"{since}{attempts} {guesses} in a row{of} were all answered 401: {outcome}{note}",
             expected=f"429 by attempt {attempts}", received=f"{attempts} × 401")


def expect_locked_at(ctx: CheckContext, attempt: int, attempts: int, guesses: str,
                     whose: str = "") -> None:
    """The lockout began at try `attempts` (it began at `attempt`), not before: the wrong
    `guesses` before it are those a legitimate user may make."""
    of = f" for {whose}" if whose else ""
    ctx.expect(attempt == attempts, f"{guesses.removesuffix('s')} #{attempt}{of} answered 429: "
               f"locked out after {attempt - 1} {guesses} in a row, where {attempts - 1} are allowed",
               expected=f"401 to the first {attempts - 1} {guesses}, 429 from #{attempts} on",
               received=f"429 at #{attempt}")


def retry_after(response: Received) -> int | None:
    """The whole seconds of a response's Retry-After (RFC 9110 §10.2.3), if it has them."""
    raw = response.headers.get("retry-after", "").strip()
    return int(raw) if raw.isdigit() else None


async def wait_out(locked: Received, lockout: int, waited: float = 0.0) -> None:
    """Wait until the lockout that `locked` (a 429) began is over: its Retry-After, at most
    `lockout` seconds, and a margin, less the `waited` seconds already slept since it came."""
    seconds = retry_after(locked)
    await asyncio.sleep(max(0.0, (seconds if seconds is not None and seconds <= lockout else lockout)
                            + 0.3 - waited))


async def expect_lockout(ctx: CheckContext, locked: Received, lockout: int,
                         right: Callable[[], Awaitable[Received]], credential: str, *,
                         meanwhile: Callable[[], Awaitable[None]] | None = None,
                         counts_down_after: float = 0.0) -> None:
    """`locked` is a 429 problem with a Retry-After of 1 to `lockout` seconds (RFC 6585 §4); while
    it lasts, the right `credential` (sent by `right()`) gets 429 too, so a guesser learns nothing;
    after it, the right credential works again. Waits the lockout out even when failing, so that
    the checks after this one start clean.

    `meanwhile()` judges more while the lockout lasts. With `counts_down_after`, the right
    credential is sent that many seconds later (a second or more), and its 429's Retry-After must
    be smaller than `locked`'s, however the server rounds: Retry-After says when the lockout ends.
    That is judged only when `locked`'s Retry-After leaves the lockout a second more to last."""
    raw = locked.headers.get("retry-after", "").strip()
    seconds = retry_after(locked)
    waited = 0.0
    try:
        ctx.expect(seconds is not None and 1 <= seconds <= lockout, "the 429 has no usable Retry-After",
                   expected=f"Retry-After: a whole number of seconds from 1 to {lockout}",
                   received=f"Retry-After: {raw}" if raw else "no Retry-After header")
        assert seconds is not None
        expect_problem(ctx, locked, PROBLEM_MEMBERS)
        if meanwhile is not None:
            await meanwhile()
        if counts_down_after and seconds >= counts_down_after + 2:
            await asyncio.sleep(waited := counts_down_after)
        during = await right()
        ctx.expect(during.status == 429, f"while locked out, {credential} answered {during.status}: "
                   "a guesser can still tell right from wrong", expected="status 429",
                   received=f"status {during.status}")
        if waited:
            _expect_counted_down(ctx, seconds, during, waited, credential)
    finally:
        await wait_out(locked, lockout, waited)
    after = await right()
    ctx.expect(after.status == 200, f"{raw} s after the 429 (its Retry-After), {credential} "
               f"answered {after.status}", expected="status 200: the lockout is over",
               received=f"status {after.status}")


def _expect_counted_down(ctx: CheckContext, first: int, later: Received, waited: float,
                         credential: str) -> None:
    """`later`, a 429 that came `waited` seconds after one with Retry-After: `first`, says less."""
    seconds = retry_after(later)
    shown = f"Retry-After: {seconds}" if seconds is not None else "no usable Retry-After"
    ctx.expect(seconds is not None and 1 <= seconds < first,
               f"{waited:g} s into the lockout, {credential} was answered 429 with {shown}, where "
               f"the first 429 said Retry-After: {first}: Retry-After says when the lockout ends "
               "(RFC 6585 §4), so it counts down; a client that obeys one that does not waits "
               "longer than the lockout lasts",
               expected=f"Retry-After below {first}: about {first - waited:g} s of the lockout were left",
               received=shown)
