"""Registered checks for API keys (lesson 2): keys issued once and long enough, never shown
again, listed by prefix, revocable, compared in full and read from a header only. That guessing
them is slowed down is judged in `grader.checks.key_guessing`.

Keys are managed with the account owner's password (HTTP Basic, RFC 7617): checks that need a
key create one first, with `login = { username, password }` from the exercise file.
"""

from __future__ import annotations

import re
from typing import Any
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
