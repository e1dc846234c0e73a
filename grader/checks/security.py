"""Registered checks and fixtures for API security (lesson 5, the OWASP API Security Top 10).

The learner's server is a shop with its own accounts: users sign up (`POST /users`) and log in
(`POST /login`) for a JWT bearer token. The fixture `shop-account` makes such an account and
keeps its token, so that the auth lesson's checks (`owner-only`, `token-refused`...) work on it
as they do on the sandbox's tokens. The checks here run an exploit against the learner's server
and judge it by what comes back on the wire: a privilege the body tried to give itself, a
sign-up the rules refuse, a field that should never leave the server, a login that can be
guessed at full speed. The tokens the shop issues are judged in `grader.checks.issued_tokens`,
what it must refuse to take in (bodies too big, URLs into its network, values out of bounds) in
`grader.checks.refused_input`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from typing import Any

from apilab.catalog.models import compile_json_path
from grader.checks.registry import check, fixture
from grader.context import CheckContext
from grader.http_helpers import (
    PROBLEM_MEMBERS,
    Requests,
    bearer,
    expect_problem,
)
from grader.lockouts import expect_locked_at, expect_lockout, until_locked_out
from grader.matchers import show
from grader.wire import Received

# Member names that carry a credential or an internal detail (README: "never sent out").
SENSITIVE_NAMES = r"(?i)passw|hash|salt|secret|failed_login|reset_token|is_admin"
# Password hash formats, found by value whatever the member is called.
HASH_VALUES = r"^\$(?:2[abxy]|argon2i?d?|scrypt|pbkdf2[\w-]*|[156])\$|^pbkdf2_sha\d+\$|^scrypt:"


async def log_in(ctx: CheckContext, login: str, username: str, password: str) -> tuple[int, Any]:
    """POST the credentials to `login`: (status, JSON body or None)."""
    response = await ctx.request("POST", login, json_body={"username": username, "password": password})
    return response.status, (ctx.json(response) if response.status == 200 else None)


# --- fixtures: accounts -------------------------------------------------------------------------


@fixture("shop-account")
async def shop_account(ctx: CheckContext, *, name: str, username: str, password: str,
                       email: str = "${word}@example.com", sign_up: bool = True,
                       users: str = "/users", login: str = "/login") -> dict[str, Any]:
    """Sign `username` up at `users` (unless `sign_up` is false: an account the server has from
    the start, such as its admin) and log in at `login`; return `access_token`, `sub` (from the
    token), `id`, `username`, `password`, and `user` (`name`, for messages: "Alice's token")."""
    username, password, email = ctx.fill(username), ctx.fill(password), ctx.fill(email)
    user: dict[str, Any] = {}
    if sign_up:
        response = await ctx.request("POST", users, json_body={"username": username,
                                                              "password": password, "email": email})
        ctx.expect(response.status == 201, f"POST {users} (signing {username} up) answered "
                   f"{response.status}; make signup-201 pass first", expected="status 201",
                   received=f"status {response.status} {response.text[:200]}")
        user = ctx.json(response)
    status, tokens = await log_in(ctx, login, username, password)
    ctx.expect(status == 200 and isinstance(tokens, dict) and isinstance(tokens.get("access_token"), str),
               f"POST {login} as {username} with the right password answered {status}; make "
               "login-200 pass first", expected="200 with an access_token", received=f"status {status}")
    # Loaded here, not at import: `apilab check` of other lessons never needs a JOSE library.
    from joserfc.errors import JoseError

    from grader.tokens import claims_of

    try:
        sub = claims_of(tokens["access_token"])["sub"]
    except (JoseError, ValueError, KeyError, TypeError):
        ctx.fail("the access token is not a JWT with a sub claim (README: tokens)",
                 expected="a JWT whose payload has sub", received=tokens["access_token"][:40])
    return {"access_token": tokens["access_token"], "sub": sub, "id": user.get("id", sub),
            "username": username, "password": password, "user": name}


# --- checks -------------------------------------------------------------------------------------


@check("no-privilege-from-body")
async def no_privilege_from_body(ctx: CheckContext, *, method: str, path: str, body: dict[str, Any],
                                 probe: str, account: str | None = None, login: str = "/login",
                                 role_field: str = "role", role: str = "customer") -> None:
    """A body that names a privilege (`role`, `is_admin`) is ignored or refused (400/422): the
    account keeps role `role`, and after logging in again it still cannot open `probe`, an
    admin route (403). OWASP API3:2023, mass assignment. Without `account`, the request signs a
    new user up with `body`; with it, the request is sent with that account's token."""
    body = ctx.fill(body)
    headers = bearer(ctx.fixtures[account]["access_token"]) if account else {}
    path = ctx.fill(path)
    response = await ctx.request(method.upper(), path, json_body=body, headers=headers)
    if response.status in (400, 422):
        return  # refusing the fields is fine
    ctx.expect(200 <= response.status < 300, f"{method.upper()} {path} answered {response.status}",
               expected="2xx with the privilege ignored, or 422", received=f"status {response.status}")
    document = ctx.json(response)
    given = document.get(role_field) if isinstance(document, dict) else None
    ctx.expect(given == role, f"{method.upper()} {path} with {show(body)} made the account's "
               f"{role_field} {show(given)}", expected=f"{role_field} = {show(role)}",
               received=f"{role_field} = {show(given)}")
    who = ctx.fixtures[account] if account else {"username": body["username"], "password": body["password"]}
    status, tokens = await log_in(ctx, login, who["username"], who["password"])
    ctx.expect(status == 200, f"logging in again as {who['username']} answered {status}",
               expected="status 200", received=f"status {status}")
    probed = await ctx.request("GET", probe, headers=bearer(tokens["access_token"]))
    ctx.expect(probed.status == 403, f"after {method.upper()} {path} with {show(body)}, the account "
               f"opens the admin route GET {probe} ({probed.status})",
               expected="status 403", received=f"status {probed.status}")


@check("invalid-signup-refused")
async def invalid_signup_refused(ctx: CheckContext, *, body: dict[str, Any],
                                 invalid: dict[str, list[Any]], lengths: dict[str, list[int]],
                                 path: str = "/users", login: str = "/login",
                                 statuses: Sequence[int] = (422, 400)) -> None:
    """A sign-up that breaks the rules of a field is refused with one of `statuses`, as a problem
    (RFC 9110 §15.5.21, RFC 9457) that does not hold the password it was sent (the README: no
    error shows a value it was sent), and makes no account: logging in with its username and
    password gives no token. `body`, a valid sign-up, is made first; each case changes one field
    of it (see `_signup_cases`), and after each the valid account logs in: that proves logging
    in works, so that the case's failed login means no account, and it ends each run of failed
    logins, so that a server counting them per address (login-throttled's to judge) is not
    locked out by this check. OWASP API2:2023: a sign-up that takes a 7-character password
    permits weak ones."""
    body = ctx.fill(body)
    made = await ctx.request("POST", path, json_body=body)
    ctx.expect(made.status == 201, f"POST {path} with a valid sign-up ({body['username']}) answered "
               f"{made.status}; make signup-201 pass first", expected="status 201",
               received=f"status {made.status} {made.reason}")
    for sent, what in _signup_cases(body, ctx.fill(invalid), lengths):
        response = await ctx.request("POST", path, json_body=sent)
        if response.status not in statuses:
            stored = ": the account was made" if response.status < 300 else ""
            ctx.fail(f"POST {path} with {what} answered {response.status}{stored}. Sign-up checks "
                     "every field against its rules before storing anything",
                     expected="status " + " or ".join(map(str, statuses)) + " (a problem)",
                     received=f"status {response.status} {response.reason}".rstrip())
        expect_problem(ctx, response, PROBLEM_MEMBERS)
        ctx.expect(str(sent["password"]) not in response.text, f"POST {path} with {what} was "
                   f"refused ({response.status}), and the error holds the password it was sent. An "
                   "error names the field and its rule, never the value: error bodies end up in logs "
                   "and screenshots", expected="an error without the password",
                   received="the password sent, in the response body")
        status, _ = await log_in(ctx, login, str(sent["username"]), str(sent["password"]))
        ctx.expect(status != 200, f"POST {path} with {what} was refused ({response.status}), yet "
                   f"the account was made: POST {login} with its username and password answered "
                   "200. A refused sign-up stores nothing", expected="no token: no such account",
                   received=f"POST {login}: status 200 with a token")
        status, _ = await log_in(ctx, login, body["username"], body["password"])
        ctx.expect(status == 200, f"POST {login} as {body['username']}, signed up with a valid body, "
                   f"answered {status}", expected="status 200", received=f"status {status}")


def _signup_cases(body: dict[str, Any], invalid: dict[str, list[Any]],
                  lengths: dict[str, list[int]]) -> list[tuple[dict[str, Any], str]]:
    """The bodies that break one rule each, and what each breaks: `body` with a field set to each
    of its values in `invalid`, and, for each field in `lengths` ([shortest, longest]), to one
    character fewer and one more, cut from or repeated out of its valid value. A case that keeps
    the username valid adds its number to it, so that every case names an account of its own."""
    changes = [(name, value, f"{name} = {show(value)}")
               for name, values in invalid.items() for value in values]
    for name, (shortest, longest) in lengths.items():
        valid = str(body[name])
        changes += [(name, (valid * size)[:size], f"a {name} of {size} characters ({shortest} to "
                     f"{longest} allowed)") for size in (shortest - 1, longest + 1)]
    cases = []
    for number, (name, value, what) in enumerate(changes, 1):
        username = value if name == "username" else f"{body['username']}{number}"
        cases.append(({**body, "username": username, name: value}, what))
    return cases


@check("nothing-sensitive")
async def nothing_sensitive(ctx: CheckContext, *, requests: Requests, secrets: list[str]) -> None:
    """No JSON body of these responses carries a credential or an internal field, at any depth:
    every member (the JSONPath `$..*`) is looked at for a name like password, hash, salt or
    secret, a value in a password-hash format, or one of `secrets` (the passwords sent).
    OWASP API3:2023 (excessive data exposure) and API2:2023."""
    known = [value for value in ctx.fill(secrets) if value]
    for request in requests:
        method, path = request["method"].upper(), ctx.fill(request["path"])
        options: dict[str, Any] = {"headers": ctx.fill(request.get("headers", {}))}
        if "json" in request:
            options["json_body"] = ctx.fill(request["json"])
        response = await ctx.request(method, path, **options)
        ctx.expect(200 <= response.status < 300, f"{method} {path} answered {response.status}",
                   expected="a 2xx to look into", received=f"status {response.status}")
        for value in known:
            ctx.expect(value not in response.text, f"{method} {path}: the response holds a "
                       "password the grader sent", expected="no password", received="the password")
        for node in compile_json_path("$..*").finditer(ctx.json(response)):
            name, where = node.location[-1], node.path().removeprefix("$")
            ctx.expect(not (isinstance(name, str) and re.search(SENSITIVE_NAMES, name)),
                       f"{method} {path} sends the member ${where}: credentials and internal fields "
                       "never leave the server", expected="no such member",
                       received=f"${where} = {show(node.value)[:80]}")
            ctx.expect(not (isinstance(node.value, str) and re.search(HASH_VALUES, node.value)),
                       f"{method} {path}: ${where} holds a password hash",
                       expected="no password hash", received=f"${where} = {show(node.value)[:80]}")


@check("login-throttled")
async def login_throttled(ctx: CheckContext, *, account: str, login: str = "/login",
                          attempts: int = 6, lockout: int = 5, bystander: str | None = None,
                          unknown_too: bool = False, exactly: bool = False) -> None:
    """Failed logins for one username lead to 429 with Retry-After (RFC 6585 §4) within
    `attempts` tries; while locked out even the right password gets 429, so guessing learns
    nothing; after Retry-After seconds the right password works again. OWASP API2:2023 and
    API4:2023. With `bystander`, another account's right password, sent from the same address
    during the lockout, still logs in: failures are counted per username, never per address
    (or one guesser locks out everyone behind the same address). With `unknown_too`, a username
    no account has is locked out the same way (or the lockout tells which names exist). With
    `exactly`, the 429 comes at the `attempts`th try and not before: a user who mistypes fewer
    times than that is never locked out."""
    who = ctx.fixtures[account]
    tries: list[tuple[str, int]] = []  # (username, the try its lockout began at)
    if unknown_too:  # first, so that the check ends with the lockout waited out
        nobody = "nobody_" + "".join(ctx.rng.choice("abcdefghijkmnopqrstuvwxyz") for _ in range(10))
        _, at = await _locked_out(ctx, login, nobody, attempts, "a username no account has")
        tries.append((nobody, at))
    locked, at = await _locked_out(ctx, login, who["username"], attempts)
    tries.append((who["username"], at))
    other = ctx.fixtures[bystander] if bystander is not None else None
    meanwhile = None if other is None else await ctx.request(
        "POST", login, json_body={"username": other["username"], "password": other["password"]})
    credentials = {"username": who["username"], "password": who["password"]}
    # Judged after the lockout is waited out, so that a failure leaves the next checks a server
    # that is locked out no more.
    await expect_lockout(ctx, locked, lockout, lambda: ctx.request("POST", login, json_body=credentials),
                         "the right password")
    if other is not None and meanwhile is not None:
        ctx.expect(meanwhile.status == 200, f"while {who['username']} was locked out, "
                   f"{other['username']}'s right password, from the same address, answered "
                   f"{meanwhile.status}: the lockout follows the address, not the username",
                   expected="status 200: failures counted per username",
                   received=f"status {meanwhile.status} {meanwhile.reason}")
    if exactly:  # judged last: a lockout that began early is waited out above all the same
        for username, at in tries:
            expect_locked_at(ctx, at, attempts, "wrong passwords", username)


def _locked_out(ctx: CheckContext, login: str, username: str, attempts: int,
                described: str = "") -> Awaitable[tuple[Received, int]]:
    """The 429 that wrong passwords for `username` lead to within `attempts` tries, and the try
    it came at; `described` names the username in the failure that none was refused."""

    def wrong_password() -> Awaitable[Received]:
        wrong = "".join(ctx.rng.choice("abcdefghijkmnopqrstuvwxyz23456789") for _ in range(14))
        return ctx.request("POST", login, json_body={"username": username, "password": wrong})

    return until_locked_out(ctx, wrong_password, attempts, "wrong passwords", username, described)
