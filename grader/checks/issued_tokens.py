"""Registered checks of the access tokens a learner's server issues itself (lesson 5): they
expire, name their subject as the JWT standard says, and are signed with a secret no word list
holds (RFC 7519, RFC 8725; OWASP API2:2023). Each reads the token the fixture `shop-account`
(`grader.checks.security`) logged in for.
"""

from __future__ import annotations

import time

from grader.checks.registry import check
from grader.context import CheckContext
from grader.matchers import show

# Signing secrets from tutorials, defaults and leaked configs (a real attacker's list is longer).
WEAK_SECRETS = ("secret", "Secret", "SECRET", "secret123", "secretkey", "secret-key", "secret_key",
                "changeme", "change-me", "password", "Password1", "123456", "12345678", "admin",
                "jwt", "jwt-secret", "jwt_secret", "jwtsecret", "your-256-bit-secret",
                "your_jwt_secret", "supersecret", "super-secret", "mysecret", "my-secret", "key",
                "shop", "shop-secret", "harden-shop", "apilab", "dev", "development", "test",
                "default", "s3cr3t", "qwerty", "letmein", "")


@check("token-lifetime")
async def token_lifetime(ctx: CheckContext, *, account: str, max_seconds: int = 3600) -> None:
    """The access token a login gives expires: its `exp` claim is in the future and at most
    `max_seconds` away (RFC 7519 §4.1.4; OWASP API2:2023: a stolen token must not work forever)."""
    from grader.tokens import claims_of

    token = ctx.fixtures[account]["access_token"]
    exp = claims_of(token).get("exp")
    now = time.time()
    ctx.expect(isinstance(exp, int | float) and not isinstance(exp, bool), "the access token has "
               "no exp claim, so it never expires", expected="a numeric exp claim",
               received=f"exp = {show(exp)}")
    ctx.expect(now < exp <= now + max_seconds + 60, f"the access token expires in {int(exp - now)} s",
               expected=f"exp within {max_seconds} s from now", received=f"exp = {exp}")


@check("token-subject")
async def token_subject(ctx: CheckContext, *, account: str) -> None:
    """The access token's `sub` claim is the account's id, as a JSON string: RFC 7519 §4.1.2
    makes `sub` a string (StringOrURI), so a token whose `sub` is a number breaks the JWT that
    libraries and other services read, even when the ids are numbers."""
    from grader.tokens import claims_of

    mine = ctx.fixtures[account]
    sub, wanted = claims_of(mine["access_token"]).get("sub"), str(mine["id"])
    ctx.expect(isinstance(sub, str), f"the access token's sub is {show(sub)}, not a string: RFC "
               "7519 makes sub a string, and a JWT library that keeps to it refuses such a token "
               "or reads it wrong. Write the id as a string, even when ids are numbers",
               expected=f"sub = {show(wanted)}", received=f"sub = {show(sub)}")
    ctx.expect(sub == wanted, f"the access token's sub is {show(sub)}, not the id of the account "
               f"that logged in ({show(mine['id'])}, as its sign-up answered)",
               expected=f"sub = {show(wanted)}", received=f"sub = {show(sub)}")


@check("secret-not-guessable")
async def secret_not_guessable(ctx: CheckContext, *, account: str) -> None:
    """The key that signs the tokens is not a known weak secret: an attacker holding one token
    tries a word list offline, and a match lets them sign any token (RFC 8725 §3.5; OWASP
    API2:2023). Tokens signed with a private key (RS256, EdDSA...) pass."""
    from grader.tokens import guessed_secret, header_of

    token = ctx.fixtures[account]["access_token"]
    alg = str(header_of(token).get("alg", ""))
    if not alg.upper().startswith("HS"):
        return
    found = guessed_secret(token, WEAK_SECRETS)
    ctx.expect(found is None, f"the token's {alg} signature verifies with the secret {show(found)}, "
               "found in a short word list: anyone can now sign tokens for any user",
               expected="a random secret of 32 bytes or more", received=f"secret = {show(found)}")
