"""Registered checks that a collection stays true to its writes, whatever order they come in.

A refused write changes nothing, on every method that can carry the mistake (an invalid field
here; a body that is not JSON in `grader.checks.bodies`); a text as long as the rules allow,
counted in characters, is kept exactly, and one character more is refused; ids stay unique among
the resources that exist while others come and go; a deleted resource is gone from its list as
well as from its URL. Each check works on a collection of JSON resources whose path,
create body, list field and id field are parameters, so any lesson's collection can use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apilab.catalog.models import SingularJsonPath
from grader.checks.registry import check
from grader.context import CheckContext, with_query
from grader.http_helpers import create, expect_problem, id_of, key, location_of, walk
from grader.matchers import MISSING, show, text_change, value_at
from grader.wire import Received, WireError

PROBLEM_MEMBERS = ("type", "title", "status", "detail")


@check("refused-writes")
async def refused_writes(
    ctx: CheckContext,
    *,
    collection: str,
    body: dict[str, Any],
    invalid: dict[str, list[Any]],
    null_refused: Sequence[str] = (),
    required: Sequence[str] = (),
    mixed: Sequence[dict[str, Any]] = (),
    methods: Sequence[str] = ("POST", "PUT", "PATCH"),
    statuses: Sequence[int] = (422, 400),
    members: Sequence[str] = PROBLEM_MEMBERS,
    count_query: dict[str, Any] | None = None,
    items_path: SingularJsonPath = "items",
    max_pages: int = 500,
) -> None:
    """Every invalid value of every field is refused by every write method, and changes nothing.

    Proves RFC 9110 §15.5.21 (422: content understood but not processable) and RFC 9457 §3 on
    each method that can carry the mistake: creates a resource from `body`; then, for each value
    listed under a field in `invalid` (and null for each field in `null_refused`), sends POST to
    `collection` and PUT to the resource with `body` holding that value, and PATCH with that field
    alone. Each must answer one of `statuses` as a problem details object with `members`, and
    after each the resource must be as before (GET). Each field in `required` is also left out of
    POST and PUT (PATCH changes only what it names, so leaving a field out is no mistake there).
    Each body in `mixed` holds valid changes and, after them, one invalid value: PATCH sends it as
    it is and PUT sends `body` updated with it, and both must be refused with the resource
    unchanged, so that a server that applies the valid part before it refuses the rest is caught.
    At the end the collection (listed with `count_query`) holds as many resources as at the start.
    """
    collection, body = ctx.fill(collection), ctx.fill(body)
    response, _document = await create(ctx, collection, body)
    url = location_of(ctx, response, f"POST {collection}")
    with ctx.preparing(f"reading the resource it works on (GET {url})"):
        before = await representation(ctx, url)
        first = with_query(collection, count_query or {})
        count = len(await walk(ctx, first, items_path, max_pages))
    cases = [(name, value) for name, values in invalid.items() for value in values]
    cases += [(name, None) for name in null_refused]  # TOML has no null to list in `invalid`
    for name, value in cases:
        for method in methods:
            target = collection if method == "POST" else url
            sent = {name: value} if method == "PATCH" else {**body, name: value}
            await _refused(ctx, method, target, sent, f"{name} = {show(value)}", statuses, members)
            if method != "POST":
                await expect_unchanged(ctx, url, before, f"{method} {target} with {name} = {show(value)}")
    for name in required:
        for method in (m for m in methods if m != "PATCH"):
            target = collection if method == "POST" else url
            sent = {field: value for field, value in body.items() if field != name}
            await _refused(ctx, method, target, sent, f"no {name}", statuses, members)
            if method != "POST":
                await expect_unchanged(ctx, url, before, f"{method} {target} without {name}")
    for changes in ctx.fill(list(mixed)):
        for method in (m for m in methods if m != "POST"):
            sent = changes if method == "PATCH" else {**body, **changes}
            what = show(changes) + (" (and the rest of the created body)" if method == "PUT" else "")
            await _refused(ctx, method, url, sent, what, statuses, members)
            await expect_unchanged(ctx, url, before, f"{method} {url} with {what}")
    after = len(await walk(ctx, first, items_path, max_pages))
    ctx.expect(after == count, f"the collection holds {after - count} more resources than before "
               "the refused requests: a POST answered with an error stored its resource anyway. "
               "Validate the whole body before storing anything",
               expected=f"{count} resources listed, as before", received=f"{after} listed")


async def _refused(ctx: CheckContext, method: str, target: str, sent: dict[str, Any], what: str,
                   statuses: Sequence[int], members: Sequence[str]) -> None:
    response = await ctx.request(method, target, json_body=sent)
    if response.status not in statuses:
        accepted = " (accepted: the rule is not checked on this method)" if response.status < 300 else ""
        ctx.fail(f"{method} {target} with {what} answered {response.status}{accepted}",
                 expected="status " + " or ".join(map(str, statuses)) + " (a problem)",
                 received=f"status {response.status} {response.reason}".rstrip())
    expect_problem(ctx, response, members)


async def representation(ctx: CheckContext, url: str,
                         headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The resource at `url` as GET (with `headers`: credentials, say) answers it: a 200 with a
    JSON object, or the check fails."""
    response = await ctx.request("GET", url, headers=headers)
    ctx.expect(response.status == 200, f"GET {url} answered {response.status}",
               expected="status 200", received=f"status {response.status} {response.reason}")
    document = ctx.json(response)
    ctx.expect(isinstance(document, dict), f"GET {url}: the body is not a JSON object",
               expected="the resource as a JSON object", received=show(document))
    return document


async def expect_unchanged(ctx: CheckContext, url: str, before: dict[str, Any], request: str,
                           headers: dict[str, str] | None = None) -> None:
    """Fails the check, naming the first field that moved, unless GET `url` (with `headers`)
    still answers `before`: `request`, refused, changed nothing."""
    now = await representation(ctx, url, headers)
    for name in dict.fromkeys([*before, *now]):
        was, is_now = before.get(name, MISSING), now.get(name, MISSING)
        if _comparable(was) != _comparable(is_now):
            ctx.fail(f"{request} was refused, yet the resource changed: {name} was {show(was)} and "
                     f"is now {show(is_now)}. A refused request changes nothing: validate the "
                     "whole body before changing the stored resource",
                     expected=f"{name} = {show(was)}", received=f"{name} = {show(is_now)}")


def _comparable(value: Any) -> str:
    return "(absent)" if value is MISSING else key(value)


@check("length-in-characters")
async def length_in_characters(
    ctx: CheckContext,
    *,
    collection: str,
    body: dict[str, Any],
    shows: dict[SingularJsonPath, Any],
    longest: int,
    patch: dict[str, Any] | None = None,
    views: Mapping[str, dict[SingularJsonPath, Any]] | None = None,
    character: str = "\U0001f600",
    statuses: Sequence[int] = (422, 400),
    members: Sequence[str] = PROBLEM_MEMBERS,
    id_field: SingularJsonPath = "id",
) -> None:
    """A text exactly as long as the rules allow, counted in characters (Unicode code points),
    is accepted and kept exactly by POST, PUT and PATCH; one character more is refused by each,
    and changes nothing.

    The text is `character` (an emoji beyond U+FFFF by default: one code point, two UTF-16
    units, four UTF-8 bytes) `longest` times, `${text}` in `body` (POST to `collection`, then
    PUT to the resource), in `patch` (PATCH; `body` when not given) and in `shows`, where each
    response and a GET of the resource must show it. Each of `views` (a path, `${id}` naming the
    resource, such as the same resource in another version) must show it too. Then `${text}` is
    one character longer, and each method must answer one of `statuses` as a problem details
    object (RFC 9457 §3), leaving the resource as it was. Catches lengths counted in UTF-16
    units (Java's and JavaScript's string length) or in bytes.
    """
    collection, patch = ctx.fill(collection), patch if patch is not None else body
    ctx.vars["text"] = character * longest
    at_limit = _text_of(longest, character)
    created = await ctx.request("POST", collection, json_body=ctx.fill(body))
    _accepted(ctx, f"POST {collection} with {at_limit}", created, longest)
    url = location_of(ctx, created, f"POST {collection}")
    ctx.vars["id"] = id_of(ctx, ctx.json(created), id_field, "the created resource")
    await _shown(ctx, f"POST {collection}", created, url, shows, views or {})
    for method, sent in (("PUT", body), ("PATCH", patch)):
        response = await ctx.request(method, url, json_body=ctx.fill(sent))
        _accepted(ctx, f"{method} {url} with {at_limit}", response, longest)
        await _shown(ctx, f"{method} {url}", response, url, shows, {})
    before = await representation(ctx, url)
    ctx.vars["text"] = character * (longest + 1)
    past_limit = _text_of(longest + 1, character)
    for method, sent in (("POST", body), ("PUT", body), ("PATCH", patch)):
        target = collection if method == "POST" else url
        await _refused(ctx, method, target, ctx.fill(sent), f"{past_limit}, one past the limit "
                       f"of {longest} characters,", statuses, members)
        if method != "POST":
            await expect_unchanged(ctx, url, before, f"{method} {url} with {past_limit}")


def _text_of(count: int, character: str) -> str:
    units, size = len(character.encode("utf-16-le")) // 2, len(character.encode())
    return (f"a text of {count} characters, each {character} (U+{ord(character):04X}: one code "
            f"point, {units} UTF-16 units, {size} UTF-8 bytes)")


def _accepted(ctx: CheckContext, request: str, response: Received, longest: int) -> None:
    if not 200 <= response.status < 300:
        try:
            detail = response.json().get("detail")
        except (WireError, AttributeError):
            detail = None
        ctx.fail(f"{request} answered {response.status}, yet the rules allow {longest} "
                 "characters, and a character is a code point however many UTF-16 units or "
                 "bytes it takes: count code points, not UTF-16 units (Java's and JavaScript's "
                 "string length) or bytes",
                 expected=f"a 2xx status: {longest} characters are within the limit",
                 received=f"status {response.status} {response.reason}".rstrip()
                 + (f", detail {show(detail)}" if isinstance(detail, str) else ""))


async def _shown(ctx: CheckContext, label: str, response: Received, url: str,
                 shows: dict[str, Any], views: Mapping[str, dict[str, Any]]) -> None:
    """The text comes back exactly: in the response, in a GET of the resource, in each view."""
    read = await ctx.request("GET", url)
    seen = [(label, ctx.json(response), shows), (f"GET {url} after {label}", ctx.json(read), shows)]
    for path, wanted in views.items():
        path = ctx.fill(path)
        view = await ctx.request("GET", path)
        seen.append((f"GET {ctx.based(path)} after {label}", ctx.json(view), wanted))
    for where, document, wanted in seen:
        for field, value in ctx.fill(wanted).items():
            got = value_at(document, field)
            if got != value:
                change = next(filter(None, map(text_change, _texts(value), _texts(got))), None)
                ctx.fail(f"{where}: {field} did not come back as sent"
                         + (f": {change}" if change else ""),
                         expected=f"{field} = {_abridged(value)}, exactly as sent",
                         received=f"{field} = {_abridged(got)}")


def _texts(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _abridged(value: Any) -> str:
    """A value with each long run of one character written as its count, so that 499 emoji
    and 500 read differently in a report."""
    if isinstance(value, list):
        return "[" + ", ".join(_abridged(item) for item in value) + "]"
    if isinstance(value, str) and len(value) > 20 and len(set(value)) == 1:
        return f"{value[0]} × {len(value)}"
    return show(value)


@check("ids-survive-churn")
async def ids_survive_churn(
    ctx: CheckContext,
    *,
    collection: str,
    body: dict[str, Any],
    count: int = 3,
    id_field: SingularJsonPath = "id",
) -> None:
    """Ids stay unique among existing resources while others are deleted and created.

    Proves that a POST creates a new resource with an identifier of its own (RFC 9110 §9.3.3,
    §15.3.2): creates `count` resources from `body` (`${n}` numbers them), deletes the oldest,
    creates `count` more, then reads every one that still exists. Each must answer what it was
    created with, and no two may share an id or a URL: an id computed from the number of
    resources (count + 1) is handed out again after a delete, and the new resource overwrites
    an existing one.
    """
    collection = ctx.fill(collection)
    made = [await _made(ctx, collection, body, n, id_field) for n in range(1, count + 1)]
    oldest = made.pop(0)
    with ctx.preparing(f"deleting the oldest resource it made (DELETE {oldest['url']})"):
        response = await ctx.request("DELETE", oldest["url"])
        ctx.expect(response.status in (200, 204), f"DELETE {oldest['url']} answered "
                   f"{response.status}", expected="status 204", received=f"status {response.status}")
    made += [await _made(ctx, collection, body, n, id_field)
             for n in range(count + 1, 2 * count + 1)]
    owners: dict[str, dict[str, Any]] = {}
    for item in made:
        other = owners.get(key(item["id"])) or next(
            (o for o in owners.values() if o["url"] == item["url"]), None)
        ctx.expect(other is None, f"two resources created one after the other got the same "
                   f"{id_field} {show(item['id'])} (URL {item['url']}): ids must be unique among "
                   "the resources that exist. An id computed from the number of resources is "
                   "handed out again after a delete; keep a counter that only grows",
                   expected="a new id for every new resource",
                   received=f"{id_field} {show(item['id'])} twice")
        owners[key(item["id"])] = item
    for item in made:  # each answers what the server said it created, not another's fields
        now = await representation(ctx, item["url"])
        ctx.expect(key(now) == key(item["created"]), f"GET {item['url']} no longer answers the "
                   f"resource created there ({id_field} {show(item['id'])}): another resource "
                   "created after a delete overwrote it. Ids must be unique among the resources "
                   "that exist; keep a counter that only grows",
                   expected=show(item["created"]), received=show(now))


async def _made(ctx: CheckContext, collection: str, body: dict[str, Any], n: int,
                id_field: str) -> dict[str, Any]:
    ctx.vars["n"] = n
    response, document = await create(ctx, collection, body)
    return {"url": location_of(ctx, response, f"POST {collection}"), "created": document,
            "id": id_of(ctx, document, id_field, f"the created resource #{n}")}


@check("deleted-not-listed")
async def deleted_not_listed(
    ctx: CheckContext,
    *,
    collection: str,
    body: Any,
    query: dict[str, Any] | None = None,
    items_path: SingularJsonPath = "items",
    id_field: SingularJsonPath = "id",
    max_pages: int = 500,
) -> None:
    """A deleted resource is gone from its collection's list too, not only from its own URL.

    Proves RFC 9110 §9.3.5 (DELETE removes the resource, and with it its membership in the
    collection, §9.3.3): creates a resource from `body`, deletes it, then walks the list
    (`collection` with `query`, following rel="next"); the deleted resource must not be listed.
    """
    collection = ctx.fill(collection)
    response, document = await create(ctx, collection, body)
    url = location_of(ctx, response, f"POST {collection}")
    gone = id_of(ctx, document, id_field, "the created resource")
    with ctx.preparing(f"deleting the resource it made (DELETE {url})"):
        deleted = await ctx.request("DELETE", url)
        ctx.expect(deleted.status in (200, 204), f"DELETE {url} answered {deleted.status}",
                   expected="status 204", received=f"status {deleted.status}")
    first = with_query(collection, query or {})
    for page, item in await walk(ctx, first, items_path, max_pages):
        if key(id_of(ctx, item, id_field, f"an item on page {page}")) == key(gone):
            ctx.fail(f"GET {first} still lists {id_field} {show(gone)} (page {page}) after DELETE "
                     f"{url} answered {deleted.status}: a deleted resource is gone from its "
                     "collection too (remove it from storage, or leave deleted ones out of the list)",
                     expected=f"{id_field} {show(gone)} not listed", received=show(item))
