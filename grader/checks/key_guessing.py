"""Registered checks that guessing API keys is slowed down (lesson 2; OWASP API4:2023): wrong keys
from one address lock it out with 429 and Retry-After, counting the wrong keys of the last few
seconds only, malformed and revoked keys among them; a right key works again once the lockout is
over. Keys are made as in `grader.checks.api_keys`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable
from itertools import count
from typing import NoReturn

from grader.checks.api_keys import basic, issue_key
from grader.checks.registry import check
from grader.context import CheckContext, CheckFailed
from grader.lockouts import expect_lockout, retry_after, until_locked_out, wait_out
from grader.matchers import show
from grader.wire import Received


@check("guessing-locked-out")
async def guessing_locked_out(ctx: CheckContext, *, keys: str, use: str, login: dict[str, str],
                              attempts: int = 11, lockout: int = 5, header: str = "X-API-Key") -> None:
    """Repeated wrong keys lead to 429 with Retry-After (RFC 6585 §4, OWASP API4:2023) within
    `attempts` tries; while locked out even a right key gets 429 (so guessing learns nothing);
    after Retry-After seconds, the right key works again.

    Then, exactly: with the count begun afresh, each of `attempts - 1` wrong keys is answered 401,
    and so is a request without a key sent among them, which is no guess; the next request with a
    key is answered 429. One of those wrong keys is a key the check revoked, and one is malformed,
    too short and with a character no key has (revoked and malformed keys are wrong keys too, and
    a server that refuses a malformed key before counting it lets a guesser probe for free). The
    first part cannot judge that: the wrong keys that earlier checks (or anyone)
    sent within the window count toward its lockout too. Once that lockout is over, the wrong keys
    it counted are older than the window, whoever sent them.

    That 429's Retry-After is the whole lockout, rounded up, less only the time its answer took:
    a shorter lockout, or one rounded down, shows there. While that second lockout lasts, a
    request without a key is still answered 401 (only requests
    with a key are locked out), and 2 s into it, the right key's 429 has a smaller Retry-After than
    the first 429's: it says when the lockout ends, so it counts down.

    Every request of both parts carries an `X-Forwarded-For` (see `_forwarded`) that names a new
    client each time, which changes nothing: the address counted is the connection's."""
    right = (await issue_key(ctx, keys, "grader", login))["key"]
    revoked = await _revoked_key(ctx, keys, login)
    written = count(1)

    def forwarded() -> dict[str, str]:
        return _forwarded(next(written))

    def wrong_key() -> Awaitable[Received]:
        return _wrong_key(ctx, use, header, forwarded())

    def right_key() -> Awaitable[Received]:
        return ctx.request("GET", use, headers={header: right, **forwarded()})

    forged = ("; each wrong key came with an X-Forwarded-For that began with an address of its "
              "own, which the client writes, so it changes nothing: the address that counts is the "
              "connection's (behind a proxy you trust, the address it appends last, the same each "
              "time here)")
    locked, _ = await until_locked_out(ctx, wrong_key, attempts, "wrong keys", note=forged)
    await expect_lockout(ctx, locked, lockout, right_key, "a right key")

    allowed = attempts - 1
    revoked_at, malformed_at = allowed // 2, allowed // 3
    without_key: list[Received] = []
    tenth_sent: list[float] = []  # when the wrong key that must lock the address out was sent
    sent = 0

    async def counted() -> Received:
        """The next wrong key, the malformed one a third of the way and the revoked key halfway;
        just before the last one allowed, a request without a key first."""
        nonlocal sent
        sent += 1
        if sent == attempts - 1:
            tenth_sent[:] = [time.monotonic()]
        if sent == allowed:
            bare = await ctx.request("GET", use, headers=forwarded())
            without_key.append(bare)
            if bare.status == 429:  # locked out already: the loop stops at it, judged below
                return bare
            ctx.expect(bare.status == 401, f"GET {use} without a key answered {bare.status}",
                       expected="status 401", received=f"status {bare.status}")
        if sent == revoked_at:
            which, sent_key = "a revoked key", revoked
        elif sent == malformed_at:
            which, sent_key = "a malformed key", malformed
        else:
            return await wrong_key()
        response = await ctx.request("GET", use, headers={header: sent_key, **forwarded()})
        ctx.expect(response.status in (401, 429), f"GET {use} with {which} answered "
                   f"{response.status}", expected=f"status 401: {which} is a wrong key",
                   received=f"status {response.status}")
        return response

    malformed = "ak_" + "".join(ctx.rng.choice("abcdefghijkmnopqrstuvwxyz") for _ in range(6)) + "!"
    revoked_too = (f"; wrong key #{malformed_at} was malformed ({show(malformed)}: too short, and "
                   f"with a character no key has), and wrong key #{revoked_at} a key revoked "
                   "beforehand: a malformed or revoked key is as wrong as an unknown one, and "
                   "counts toward the lockout like it")
    locked, at = await until_locked_out(ctx, counted, attempts, "wrong keys", after_lockout=True,
                                        note=revoked_too + forged)
    if at < attempts:  # judged at once, so that the report ends on that 429; waited out all the same
        try:
            _locked_early(ctx, at, allowed, use, without_key)
        finally:
            await wait_out(locked, lockout)
    if at == attempts and tenth_sent:
        try:
            _expect_whole_lockout(ctx, locked, lockout, time.monotonic() - tenth_sent[0], use)
        except CheckFailed:
            await wait_out(locked, lockout)
            raise

    async def no_key_not_locked_out() -> None:
        bare = await ctx.request("GET", use, headers=forwarded())
        ctx.expect(bare.status == 401, f"while locked out, GET {use} without a key answered "
                   f"{bare.status}: a request without a key is no guess, and only requests that "
                   "carry a key are locked out", expected="status 401: 429 is for requests with a key",
                   received=f"status {bare.status}")

    await expect_lockout(ctx, locked, lockout, right_key, "a right key",
                         meanwhile=no_key_not_locked_out, counts_down_after=2)


def _expect_whole_lockout(ctx: CheckContext, locked: Received, lockout: int, since: float,
                          use: str) -> None:
    """`locked`, the 429 that came `since` seconds after the wrong key that began the lockout was
    sent, says that nearly all of the `lockout` seconds are left: Retry-After is the seconds left,
    rounded up, so a lockout shorter than the README's, or rounded down, shows here."""
    seconds = retry_after(locked)
    least = math.ceil(lockout - since)
    if seconds is None or not 1 <= least <= lockout:
        return  # no usable Retry-After (expect_lockout says so), or answers too slow to judge
    ctx.expect(seconds >= least,
               f"the 429 to the request after the 10th wrong key came {since:.2f} s after that key "
               f"was sent, with Retry-After: {seconds}: a lockout lasts {lockout} s, so at least "
               f"{lockout - since:.2f} s of it were left, and Retry-After is the seconds left, "
               "rounded up; a client that obeys a smaller one comes back while it is still locked "
               "out, and a shorter lockout lets a guesser try more keys a minute",
               expected=f"Retry-After: {least}" if least == lockout
               else f"Retry-After: {least} to {lockout}",
               received=f"Retry-After: {seconds} on GET {use}")


def _forwarded(written: int) -> dict[str, str]:
    """An X-Forwarded-For as a client writes one, a new address each time, after which a proxy on
    the loopback appended the address it saw, the same each time: a server that trusts a proxy
    there (uvicorn does by default) takes that last address, and one that counts the connection
    ignores the header; only a server that believes the client's own writing sees a new client."""
    return {"X-Forwarded-For": f"203.0.113.{written}, 198.51.100.7"}


def _wrong_key(ctx: CheckContext, use: str, header: str,
               headers: dict[str, str] | None = None) -> Awaitable[Received]:
    """GET `use` with a made-up key, a new one each time, and any other `headers`."""
    wrong = "ak_" + "".join(ctx.rng.choice("abcdefghijkmnopqrstuvwxyz23456789") for _ in range(40))
    return ctx.request("GET", use, headers={header: wrong, **(headers or {})})


async def _revoked_key(ctx: CheckContext, keys: str, login: dict[str, str]) -> str:
    """A key issued, then revoked with DELETE."""
    issued = await issue_key(ctx, keys, "grader", login)
    url = issued["url"] or f"{keys}/{issued.get('id')}"
    with ctx.preparing(f"revoking an API key (DELETE {url} with the password)"):
        deleted = await ctx.request("DELETE", url, headers=basic(login))
        ctx.expect(deleted.status == 204, f"DELETE {url} answered {deleted.status}; make "
                   "revoked-key-401 pass first", expected="status 204",
                   received=f"status {deleted.status}")
    return issued["key"]


def _locked_early(ctx: CheckContext, at: int, allowed: int, use: str,
                  without_key: list[Received]) -> NoReturn:
    """Fail: with the count begun afresh, a 429 came at the `at`th of the `allowed` wrong keys
    (or at the request without a key sent before the last of them)."""
    expected = (f"once a lockout is over, 401 to each of {allowed} wrong keys and to a request "
                f"without a key among them; 429 from the next request with a key on")
    if without_key and without_key[0].status == 429:
        ctx.fail(f"once the first lockout was over, {allowed - 1} wrong keys were answered 401, and "
                 f"then GET {use} without a key answered 429: locked out after {allowed - 1} wrong "
                 f"keys, where {allowed} are allowed", expected=expected,
                 received=f"429 after {allowed - 1} wrong keys")
    counted_too = (" and one request without a key (a request without a key is no guess)"
                   if without_key else "")
    ctx.fail(f"once the first lockout was over, wrong key #{at} answered 429: locked out after "
             f"{at - 1} wrong keys{counted_too}, where {allowed} wrong keys are allowed",
             expected=expected, received=f"429 at wrong key #{at}")


@check("wrong-keys-expire")
async def wrong_keys_expire(ctx: CheckContext, *, keys: str, use: str, login: dict[str, str],
                            attempts: int = 11, window: int = 5, lockout: int = 5,
                            header: str = "X-API-Key") -> None:
    """Only the wrong keys of the last `window` seconds count, at every moment (OWASP API4:2023:
    a lockout stops guessing at speed, not whoever mistyped a key a while ago). A wrong key,
    `attempts - 3` more a little over half a window later, and once the first is older than the
    window, one more: each is answered 401 and a right key 200, where a count that never forgets
    has locked the address out. Then one more wrong key, the `attempts - 1`th of the last
    `window` s, is answered 401, and the next request with a key (a right one) 429, where a fixed
    window, begun afresh `window` s after the first wrong key, has counted two.

    Which count a server keeps shows only when its answers come in time: the batch must land
    before the first key is `window` s old, and the last key while the batch still counts. When a
    slow answer (a machine under load) moves one past its moment, the round proves nothing, and
    it is run again, at most `ROUNDS` times.

    It needs a count begun afresh, which guessing-locked-out, run just before it, leaves; should
    earlier wrong keys lock the address out on the way all the same, it waits that lockout out
    and begins again, once. It waits until its own wrong keys are older than the window, and any
    lockout they began is over, so that the checks after it start with none either."""
    right = (await issue_key(ctx, keys, "grader", login))["key"]
    rounds = _ExpiryRounds(ctx, use, header, right, attempts, window, lockout)
    try:
        for _ in range(ROUNDS):
            if await rounds.judged():
                return
            await rounds.settle()
        ctx.fail(f"in each of {ROUNDS} tries, {rounds.late}, so this check could not tell which "
                 "wrong keys your server counts", expected=f"answers within a second or so, "
                 f"so that the wrong keys land inside and outside the {window} s window as sent",
                 received=rounds.late)
    finally:
        await rounds.settle()


ROUNDS = 3  # tries of wrong-keys-expire when answers come too late to judge


class _ExpiryRounds:
    """wrong-keys-expire's rounds: each sends its wrong keys at set moments, and judges the
    answers when they came in time."""

    def __init__(self, ctx: CheckContext, use: str, header: str, right: str, attempts: int,
                 window: int, lockout: int) -> None:
        self.ctx, self.use, self.header, self.right = ctx, use, header, right
        self.attempts, self.window, self.lockout = attempts, window, lockout
        self.early = attempts - 3  # sent together, a little over half a window after the first
        self.pause = window + 0.3  # the moment after the first key's window
        self.locked_once = False
        self.last = time.monotonic()  # when the last wrong key was answered
        self.late = ""  # what came too late in the last round, when it proved nothing

    async def settle(self) -> None:
        """Wait until every wrong key sent is older than the window and any lockout is over."""
        await asyncio.sleep(max(0.0, self.last + max(self.window, self.lockout) + 0.3
                                - time.monotonic()))

    async def judged(self) -> bool:
        """One round; False when an answer came too late for it to prove anything."""
        ctx, use, header, window, early = self.ctx, self.use, self.header, self.window, self.early
        start = time.monotonic()
        locked, at = await _refused(ctx, use, header, 1)
        first = self.last = time.monotonic()
        if locked is None:
            await asyncio.sleep(max(0.0, start + window / 2 + 0.5 - time.monotonic()))
            batch = time.monotonic()
            locked, at = await _refused(ctx, use, header, early, after=1)
            self.last = time.monotonic()
        if locked is not None:
            ctx.expect(not self.locked_once, f"once a lockout was over, wrong key #{at} answered "
                       f"429: locked out after {at - 1} wrong keys, where {self.attempts - 1} are "
                       "allowed", expected=f"401 to each of {early + 1} wrong keys",
                       received=f"429 at wrong key #{at}")
            self.locked_once = True
            await wait_out(locked, self.lockout)
            return False
        if self.last - start >= window - 0.2:
            self.late = (f"the first {early + 1} wrong keys took {self.last - start:.1f} s to be "
                         f"answered, where they must all land within {window} s")
            return False
        await asyncio.sleep(max(0.0, first + self.pause - time.monotonic()))
        sent = (f"a wrong key, {early} more {window / 2 + 0.5:g} s later, and, {self.pause:g} s "
                "after the first, one more")
        one_more = await _wrong_key(ctx, use, header)
        self.last = time.monotonic()
        ctx.expect(one_more.status == 401, f"{sent}: it answered {one_more.status}",
                   expected=f"status 401: the first is older than {window} s, so {early + 1} wrong "
                   f"keys count, and {self.attempts - 1} are allowed",
                   received=f"status {one_more.status}")
        after = await ctx.request("GET", use, headers={header: self.right})
        why = (f"the first wrong key, {self.pause:g} s old, still counted, so {early + 2} wrong "
               f"keys spread over more than {window} s locked the address out: a count that never "
               "forgets locks out whoever mistyped a key a while ago" if after.status == 429
               else "a right key works when the address is not locked out")
        ctx.expect(after.status == 200, f"{sent} and a right key: the right key answered "
                   f"{after.status}: {why}", expected=f"status 200: only the wrong keys of the "
                   f"last {window} s count", received=f"status {after.status}")
        tenth = await _wrong_key(ctx, use, header)
        self.last = time.monotonic()
        ctx.expect(tenth.status == 401, f"{sent}, a right key, and one more wrong key: it "
                   f"answered {tenth.status}", expected=f"status 401: it is the "
                   f"{self.attempts - 1}th wrong key within {window} s, and the lockout begins "
                   "with the request after it", received=f"status {tenth.status}")
        next_one = await ctx.request("GET", use, headers={header: self.right})
        if next_one.status == 200 and self.last - batch >= window - 0.2:
            self.late = (f"the last wrong key was answered {self.last - batch:.1f} s after the "
                         f"batch of {early} was sent, where it must land within {window} s of it")
            return False
        why = (f"the last {self.attempts - 1} wrong keys, all sent within {self.last - batch:.1f} "
               f"s, did not lock the address out, as when only the 2 sent {window} s or more "
               f"after the first count: a count that begins afresh {window} s after the first "
               f"wrong key (a fixed window) misses {self.attempts - 1} wrong keys within "
               f"{window} s that fall on either side of its restart"
               if next_one.status == 200 else "the lockout begins with the request after them")
        ctx.expect(next_one.status == 429, f"{sent} (401, and a right key 200), then one more wrong "
                   f"key and a right key: the right key answered {next_one.status}: {why}",
                   expected=f"status 429: {self.attempts - 1} wrong keys within the last {window} "
                   "s lock the address out", received=f"status {next_one.status}")
        return True


async def _refused(ctx: CheckContext, use: str, header: str, count: int,
                   after: int = 0) -> tuple[Received | None, int]:
    """Send `count` wrong keys, each to be answered 401, numbered from `after + 1`; a 429 stops
    them: it, and which it was."""
    for attempt in range(after + 1, after + count + 1):
        response = await _wrong_key(ctx, use, header)
        if response.status == 429:
            return response, attempt
        ctx.expect(response.status == 401, f"wrong key #{attempt} answered {response.status}",
                   expected="status 401", received=f"status {response.status}")
    return None, after + count
