"""Registered checks that each user reaches their own resources only (lesson 2; OWASP API1:2023,
broken object level authorization, and API3:2023, mass assignment): another user's resource is a
404 on every method, a list holds the caller's resources alone, and the owner is the token's
subject whatever the body says. Tokens and requests are named as in `grader.checks.auth`.
"""

from __future__ import annotations

import secrets
from typing import Any

from grader.checks.auth import create_as, expect_kept_for_owner, send_all, whose
from grader.checks.registry import check
from grader.context import CheckContext
from grader.http_helpers import Requests, bearer
from grader.matchers import show


@check("owner-only")
async def owner_only(ctx: CheckContext, *, owner: str, other: str, create_in: str,
                     body: dict[str, Any], requests: Requests,
                     fields: list[str] | None = None) -> None:
    """Another user's resource answers 404 to every request, exactly like one that does not
    exist, and stays unchanged in its `fields` (OWASP API1:2023, broken object level
    authorization)."""
    _url, before = await create_as(ctx, owner, create_in, body)
    stranger = bearer(ctx.fixtures[other]["access_token"])
    for label, response in await send_all(ctx, requests, stranger):
        ctx.expect(response.status == 404, f"{label} with {whose(ctx, other)} token, on "
                   f"{whose(ctx, owner)} resource, "
                   f"answered {response.status}", expected="status 404, as if it did not exist",
                   received=f"status {response.status} {response.reason}")
    await expect_kept_for_owner(ctx, owner, ctx.vars["target"], before, tuple(fields or ("title", "body")))


@check("list-excludes-others")
async def list_excludes_others(ctx: CheckContext, *, owner: str, other: str, create_in: str,
                               body: dict[str, Any], id_field: str = "id") -> None:
    """A collection lists the caller's resources only: the owner sees a new one, another user
    does not (OWASP API1:2023)."""
    _url, created = await create_as(ctx, owner, create_in, body)
    await _listed_to_owner_only(ctx, owner, other, ctx.fill(create_in), created, id_field)


async def _listed_to_owner_only(ctx: CheckContext, owner: str, other: str, collection: str,
                                created: dict[str, Any], id_field: str) -> None:
    """`collection` lists `created` to its `owner` and not to `other`."""
    for who, wanted in ((owner, True), (other, False)):
        listing = await ctx.request("GET", collection, headers=bearer(ctx.fixtures[who]["access_token"]))
        ctx.expect(listing.status == 200, f"GET {collection} with {whose(ctx, who)} token answered "
                   f"{listing.status}", expected="status 200", received=f"status {listing.status}")
        ids = [item.get(id_field) for item in ctx.json(listing).get("items", [])
               if isinstance(item, dict)]
        listed = created.get(id_field) in ids
        ctx.expect(listed == wanted, f"GET {collection} with {whose(ctx, who)} token "
                   f"{'does not list' if wanted else 'lists'} the resource "
                   f"{ctx.fixtures[owner].get('user', owner).capitalize()} just created",
                   expected=f"{whose(ctx, owner)} resource {'listed' if wanted else 'not listed'}",
                   received=f"{id_field}s listed: {show(ids[:20])}")


@check("owner-from-token")
async def owner_from_token(ctx: CheckContext, *, owner: str, other: str, create_in: str,
                           body: dict[str, Any], owner_field: str = "owner",
                           subject: str = "sub", by_listing: bool = False,
                           id_field: str = "id", replace: bool = False) -> None:
    """The owner of a new resource is the caller the token speaks for, whatever the body says: a
    body naming another user is ignored or refused (OWASP API3:2023, mass assignment;
    API1:2023). `subject` is the fixture field the resource's owner field holds (the token's
    `sub`, or an account `id`). With `by_listing`, for a resource that does not show its owner,
    the collection lists it to the caller and not to the user the body named. With `replace`,
    a PUT of the owner's resource naming the other user as owner and another id changes
    neither, since a replacement writes only the members a client may set."""
    collection = ctx.fill(create_in)
    mine, theirs = ctx.fixtures[owner][subject], ctx.fixtures[other][subject]
    sneaky = {**ctx.fill(body), owner_field: theirs}
    response = await ctx.request("POST", collection, json_body=sneaky,
                                 headers=bearer(ctx.fixtures[owner]["access_token"]))
    if response.status not in (400, 422):  # refusing the field is fine
        ctx.expect(response.status == 201, f"POST {collection} answered {response.status}",
                   expected="201 (owner ignored) or 422", received=f"status {response.status}")
        if by_listing:
            await _listed_to_owner_only(ctx, owner, other, collection, ctx.json(response), id_field)
        else:
            stored = ctx.json(response).get(owner_field)
            ctx.expect(stored == mine, f"the new resource's {owner_field} is the one the body "
                       "named, not the caller whose token created it",
                       expected=f"{owner_field} = {show(mine)} ({whose(ctx, owner)} {subject})",
                       received=f"{owner_field} = {show(stored)}")
    if replace:
        await _replace_keeps_owner(ctx, owner, other, collection, body, owner_field, subject, id_field)


async def _replace_keeps_owner(ctx: CheckContext, owner: str, other: str, collection: str,
                               body: dict[str, Any], owner_field: str, subject: str,
                               id_field: str) -> None:
    """A PUT of `owner`'s resource whose body names `other` as owner, and another id, leaves
    both as they were (or is refused with 400 or 422)."""
    url, created = await create_as(ctx, owner, collection, body)
    mine, theirs = ctx.fixtures[owner][subject], ctx.fixtures[other][subject]
    kept_id = created.get(id_field)
    other_id = kept_id + 1_000_000 if isinstance(kept_id, int) else f"{kept_id}-{secrets.token_hex(3)}"
    token = bearer(ctx.fixtures[owner]["access_token"])
    sneaky = {**ctx.fill(body), owner_field: theirs, id_field: other_id}
    replaced = await ctx.request("PUT", url, json_body=sneaky, headers=token)
    if replaced.status in (400, 422):
        return  # refusing the members is fine
    sent = f"PUT {url} with {owner_field} = {show(theirs)} and {id_field} = {show(other_id)}"
    ctx.expect(replaced.status == 200, f"{sent} answered {replaced.status}",
               expected="200 (owner and id ignored) or 422", received=f"status {replaced.status}")
    _expect_kept(ctx, f"{sent} answered a resource whose", ctx.json(replaced),
                 {owner_field: mine, id_field: kept_id})
    after = await ctx.request("GET", url, headers=token)
    ctx.expect(after.status == 200, f"after {sent}, GET {url} with {whose(ctx, owner)} token "
               f"answered {after.status}: the replacement handed the resource to someone else",
               expected="status 200, still the owner's", received=f"status {after.status}")
    _expect_kept(ctx, f"after {sent}, the resource's", ctx.json(after),
                 {owner_field: mine, id_field: kept_id})


def _expect_kept(ctx: CheckContext, said: str, document: Any, kept: dict[str, Any]) -> None:
    """Each member of `kept` still holds its value in `document`, whatever a body said."""
    for name, wanted in kept.items():
        found = document.get(name) if isinstance(document, dict) else None
        ctx.expect(found == wanted, f"{said} {name} is what the body said: a replacement writes "
                   f"only the members a client may set, and {' and '.join(kept)} are not among "
                   "them (mass assignment, OWASP API3:2023)",
                   expected=f"{name} = {show(wanted)}", received=f"{name} = {show(found)}")
