"""Registered checks for API keys (lesson 2): keys issued once and long enough, never shown
again, listed by prefix, revocable, compared in full, read from a header only, and guessing
slowed down with 429 and Retry-After, counting the wrong keys of the last few seconds only.

Keys are managed with the account owner's password (HTTP Basic, RFC 7617): checks that need a
key create one first, with `login = { username, password }` from the exercise file.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable
from itertools import count
from typing import Any, NoReturn
from urllib.parse import urljoin

from grader.checks.registry import check
from grader.context import CheckContext
from grader.field_values import rfc3339
from grader.http_helpers import (
    PROBLEM_MEMBERS,
    Requests,
    basic_credentials,
    expect_problem,
    parse_challenges,
)
from grader.lockouts import expect_lockout, until_locked_out, wait_out
from grader.matchers import show
from grader.wire import Received


def basic(login: dict[str, str]) -> dict[str, str]:
    return basic_credentials(login["username"], login["password"])


async def issue_key(ctx: CheckContext, keys: str, name: str, login: dict[str, str]) -> dict[str, Any]:
    """POST a new key with the owner's password; its JSON (with `key`) and `url`."""
    with ctx.preparing(f"creating an API key (POST {keys} with the password)"):
        response = await ctx.request("POST", keys, json_body={"name": ctx.fill(name)},
                                     headers=basic(login))
        ctx.expect(response.status == 201, f"POST {keys} answered {response.status}; make "
                   "create-key-201 pass first", expected="status 201",
                   received=f"status {response.status}")
        document = ctx.json(response)
        ctx.expect(isinstance(document.get("key"), str), "the 201 has no key",
                   expected='a "key" member', received=show(sorted(document)))
    location = response.headers.get("location")
    return {**document, "url": urljoin(response.url, location) if location else None}


@check("key-issued")
async def key_issued(ctx: CheckContext, *, keys: str, name: str, login: dict[str, str],
                     min_length: int = 32, prefix_lengths: list[int] | None = None) -> None:
    """Creating a key answers 201 with a Location and the key, shown this once: at least
    `min_length` characters safe in a header, starting with its `prefix` (OWASP API2:2023:
    keys must be unguessable; RFC 9110 §15.3.2 for 201 and Location), and a `created_at` that
    is an RFC 3339 date-time, its offset included (RFC 3339 §5.6)."""
    low, high = prefix_lengths or [8, 16]
    response = await ctx.request("POST", keys, json_body={"name": ctx.fill(name)},
                                 headers=basic(login))
    ctx.expect(response.status == 201, f"POST {keys} answered {response.status}",
               expected="status 201", received=f"status {response.status} {response.reason}")
    ctx.expect(bool(response.headers.get("location")), "the 201 has no Location header",
               expected="Location: /keys/{id}", received="none")
    document = ctx.json(response)
    key, prefix = document.get("key"), document.get("prefix")
    ctx.expect(document.get("name") == ctx.fill(name), "the new key's name is not the one sent",
               expected=f"name = {show(ctx.fill(name))}", received=f"name = {show(document.get('name'))}")
    ctx.expect(isinstance(key, str) and re.fullmatch(r"[A-Za-z0-9_-]+", key) is not None
               and len(key) >= min_length, "the key is too short to be unguessable, or has "
               "characters that are not safe in a header",
               expected=f"at least {min_length} of A-Z a-z 0-9 _ -",
               received=f"{len(key) if isinstance(key, str) else show(key)} characters")
    ctx.expect(isinstance(prefix, str) and low <= len(prefix) <= high and key.startswith(prefix),
               "the prefix is not the key's first characters",
               expected=f"the first {low} to {high} characters of the key",
               received=f"prefix = {show(prefix)}")
    created_at = document.get("created_at")
    ctx.expect(rfc3339(created_at) is not None, "created_at is not an RFC 3339 date-time: "
               "without its offset (Z or +hh:mm) a time names no moment, as it is not known "
               "in which zone it was read", expected='created_at such as "2026-11-22T09:30:00Z" '
               '(T between date and time; Z, or an offset such as +01:00, at the end)',
               received=f"created_at = {show(created_at)}")


@check("key-shown-once")
async def key_shown_once(ctx: CheckContext, *, keys: str, name: str, login: dict[str, str],
                         use: str | None = None, header: str = "X-API-Key") -> None:
    """After the 201 that created it, no response shows the key again: the list and the key's
    own URL show its prefix only (a server that can show a key has stored it; OWASP API2:2023).
    With `use`, neither does the route the key opens, nor its 401 to the key with one character
    more (an error that echoes what it was sent puts keys in logs)."""
    issued = await issue_key(ctx, keys, name, login)
    owner_headers = basic(login)
    for url in (keys, issued["url"] or f"{keys}/{issued.get('id')}"):
        response = await ctx.request("GET", url, headers=owner_headers)
        ctx.expect(response.status == 200, f"GET {url} answered {response.status}",
                   expected="status 200", received=f"status {response.status}")
        _not_shown(ctx, response, issued["key"], f"GET {url}")
        ctx.expect(issued.get("prefix", "") in response.text, f"GET {url} does not show the "
                   "key's prefix", expected=f"prefix {show(issued.get('prefix'))}",
                   received=response.text[:200])
    if use is not None:
        for sent, label in ((issued["key"], f"GET {use} with the key"),
                            (issued["key"] + "x", f"GET {use} with the key and one character more")):
            _not_shown(ctx, await ctx.request("GET", use, headers={header: sent}), issued["key"], label)


def _not_shown(ctx: CheckContext, response: Received, key: str, label: str) -> None:
    where = "body" if key in response.text else next(
        (name for name, value in response.headers.items() if key in value), None)
    ctx.expect(where is None, f"{label} shows the whole key again (in its {where})",
               expected="the prefix only, or nothing of the key", received="the key")


@check("keys-differ")
async def keys_differ(ctx: CheckContext, *, keys: str, name: str, login: dict[str, str]) -> None:
    """Two keys created in a row differ, and so do their prefixes (a prefix names one key)."""
    first, second = [await issue_key(ctx, keys, name, login) for _ in range(2)]
    ctx.expect(first["key"] != second["key"], "two new keys are the same key",
               expected="different keys", received="the same key twice")
    ctx.expect(first.get("prefix") != second.get("prefix"), "two new keys have the same prefix, "
               "so the list cannot tell them apart", expected="different prefixes",
               received=f"{show(first.get('prefix'))} twice")


@check("challenged")
async def challenged(ctx: CheckContext, *, requests: Requests, scheme: str,
                     params: dict[str, str | bool] | None = None, keys: str | None = None,
                     login: dict[str, str] | None = None) -> None:
    """Each request answers 401 with a `WWW-Authenticate` challenge of `scheme` and a problem
    details body (RFC 9110 §15.5.2: a 401 always says how to authenticate). The challenge has
    each of `params`: `true` for one that must be there with a value (Basic's `realm`, RFC 7617
    §2), a string for one that must have that value, compared case-insensitively (ApiKey's
    `header`). With `keys` and `login`, a valid API key is issued first, as `${key}`, and its
    URL (from its Location) as `${key_url}`."""
    if keys and login:
        issued = await issue_key(ctx, keys, "grader", login)
        ctx.vars["key"] = issued["key"]
        ctx.vars["key_url"] = issued["url"] or f"{keys}/{issued.get('id')}"
    for request in requests:
        method, path = request["method"].upper(), ctx.fill(request["path"])
        options: dict[str, Any] = {"headers": ctx.fill(request.get("headers", {}))}
        if "json" in request:
            options["json_body"] = ctx.fill(request["json"])
        response = await ctx.request(method, path, **options)
        label = request.get("label", f"{method} {path}")
        ctx.expect(response.status == 401, f"{label} answered {response.status}",
                   expected="status 401", received=f"status {response.status} {response.reason}")
        shown = "; ".join(response.headers.get_list("www-authenticate")) or "none"
        named = [found for s, found in parse_challenges(response.headers.get_list("www-authenticate"))
                 if s.lower() == scheme.lower()]
        ctx.expect(bool(named), f"{label}: the 401 does not name the {scheme} scheme in "
                   "WWW-Authenticate", expected=f"WWW-Authenticate: {scheme} ...", received=shown)
        for name, wanted in (params or {}).items():
            value = named[0].get(name.lower())
            right = bool(value) if wanted is True else (value or "").lower() == str(wanted).lower()
            ctx.expect(right, f"{label}: the {scheme} challenge has "
                       + (f"no {name} parameter" if value is None else f"{name}={show(value)}"),
                       expected=f"WWW-Authenticate: {scheme} {name}="
                       + ('"..."' if wanted is True else f'"{wanted}"'), received=shown)
        expect_problem(ctx, response, PROBLEM_MEMBERS)


@check("revoked-key-refused")
async def revoked_key_refused(ctx: CheckContext, *, keys: str, use: str, name: str,
                              login: dict[str, str], header: str = "X-API-Key") -> None:
    """A revoked key is refused (401) from the moment DELETE answers 204, and is gone: from the
    list, and from its own URL, where GET and a second DELETE answer 404 (Lesson policy 3)."""
    issued = await issue_key(ctx, keys, name, login)
    with ctx.preparing(f"using the new key (GET {use})"):
        before = await ctx.request("GET", use, headers={header: issued["key"]})
        ctx.expect(before.status == 200, f"GET {use} with a new key answered {before.status}",
                   expected="status 200", received=f"status {before.status}")
    owner_headers = basic(login)
    url = issued["url"] or f"{keys}/{issued.get('id')}"
    deleted = await ctx.request("DELETE", url, headers=owner_headers)
    ctx.expect(deleted.status == 204, f"DELETE {url} answered {deleted.status}",
               expected="status 204", received=f"status {deleted.status}")
    after = await ctx.request("GET", use, headers={header: issued["key"]})
    ctx.expect(after.status == 401, f"GET {use} with the revoked key answered {after.status}",
               expected="status 401: revoked keys are refused at once", received=f"status {after.status}")
    listing = ctx.json(await ctx.request("GET", keys, headers=owner_headers))
    ids = [item.get("id") for item in listing.get("items", []) if isinstance(item, dict)]
    ctx.expect(issued.get("id") not in ids, f"GET {keys} still lists the revoked key",
               expected="the revoked key gone from the list", received=f"ids: {show(ids[:20])}")
    for method, why in (("GET", "a revoked key is gone, not hidden: its URL answers 404"),
                        ("DELETE", "a revoked key is gone, so a second DELETE finds nothing to revoke")):
        again = await ctx.request(method, url, headers=owner_headers)
        ctx.expect(again.status == 404, f"after DELETE {url} answered 204, {method} {url} answered "
                   f"{again.status}: {why}", expected="status 404", received=f"status {again.status}")


@check("almost-right-key-refused")
async def almost_right_key_refused(ctx: CheckContext, *, keys: str, use: str, name: str,
                                   login: dict[str, str], header: str = "X-API-Key") -> None:
    """A real key with its last character changed is refused: keys are compared in full, not by
    their prefix or their start (OWASP API2:2023)."""
    key = (await issue_key(ctx, keys, name, login))["key"]
    near = key[:-1] + ("A" if key[-1] != "A" else "B")
    response = await ctx.request("GET", use, headers={header: near})
    ctx.expect(response.status == 401, f"GET {use} with a key one character off a real one "
               f"answered {response.status}", expected="status 401",
               received=f"status {response.status}")


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

    While that second lockout lasts, a request without a key is still answered 401 (only requests
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
    sent = 0

    async def counted() -> Received:
        """The next wrong key, the malformed one a third of the way and the revoked key halfway;
        just before the last one allowed, a request without a key first."""
        nonlocal sent
        sent += 1
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

    async def no_key_not_locked_out() -> None:
        bare = await ctx.request("GET", use, headers=forwarded())
        ctx.expect(bare.status == 401, f"while locked out, GET {use} without a key answered "
                   f"{bare.status}: a request without a key is no guess, and only requests that "
                   "carry a key are locked out", expected="status 401: 429 is for requests with a key",
                   received=f"status {bare.status}")

    await expect_lockout(ctx, locked, lockout, right_key, "a right key",
                         meanwhile=no_key_not_locked_out, counts_down_after=2)


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
