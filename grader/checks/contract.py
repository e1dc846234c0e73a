"""Contract probes: checks derived from an exercise's OpenAPI document, for every lesson.

An exercise switches them on with a `[probes]` table in exercise.toml (see
`apilab.catalog.probes`): the course adds the `contract` run fixture, which reads the document
once per run, and one check per kind of probe below, each with the title, why and hint given
here. The exercise's `budget` bounds the probes' whole time in a run; each check explores
within its share of it, with examples drawn from the run's seed, and reports at most one
failure: the simplest example Hypothesis could shrink it to, with only the requests that show it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from grader.checks.registry import check, fixture
from grader.context import CheckContext, CheckFailed
from grader.contract.budget import Budget, OutOfBudget
from grader.contract.document import ContractError, load_contract
from grader.contract.probing import Probing

# Each probe check's share of the exercise's budget, by how much it has to explore.
WEIGHTS = {
    "contract-rejects-invalid": 3,
    "contract-accepts-valid": 3,
    "contract-parameters": 2,
    "contract-errors-are-problems": 2,
    "contract-allow-and-routes": 1,
    "contract-lists-match-items": 1,
}
# What each probe check runs: a probe (module.function under grader.contract).
PROBES = {
    "contract-rejects-invalid": "writes.rejects_invalid",
    "contract-accepts-valid": "writes.accepts_valid",
    "contract-parameters": "reads.parameters",
    "contract-errors-are-problems": "errors.errors_are_problems",
    "contract-allow-and-routes": "errors.methods_and_routes",
    "contract-lists-match-items": "reads.lists_match_items",
}
KEPT_ON_FAILURE = 3  # exchanges kept when a check stops before a finding (a setup that failed)


@fixture("contract")
async def contract(ctx: CheckContext, *, document: str, budget: float, checks: list[str],
                   headers: dict[str, str] | None = None, paths: list[str] | None = None,
                   id_field: str | None = None, create_method: str = "POST",
                   create_headers: dict[str, str] | None = None, if_match: bool = False,
                   problem_statuses: str = "4xx and 5xx") -> Probing:
    """Reads the exercise's OpenAPI document for the probes, with the headers every probe sends,
    and makes one resource at each item path (POST to its collection: 2xx and a Location), as
    the probes will: when that fails, it fails once, here, and the probes do not run.

    With `paths`, only the operations at those documented paths are probed. The `budget`
    (seconds) bounds the probes' whole time, this setup included; the probe `checks` share it by
    their WEIGHTS (see `grader.contract.budget`).
    """
    try:
        loaded = load_contract(Path(document))
        loaded = loaded.only(paths) if paths else loaded
    except (ContractError, OSError) as exc:
        raise CheckFailed(f"the exercise's contract cannot be read ({exc}); this is a course "
                          "bug: `apilab verify` names it") from None
    allotted = Budget(budget * ctx.wire.limits.probe_scale,
                     {name: WEIGHTS.get(name, 1) for name in checks})
    probing = Probing(loaded, allotted,
                      {name: str(ctx.fill(value)) for name, value in (headers or {}).items()},
                      id_field, create_method, dict(create_headers or {}), if_match,
                      problem_statuses)
    started = time.perf_counter()
    from grader.contract.explore import prepare, warm  # loads Hypothesis: only a run that probes pays
    from grader.contract.session import Session
    from grader.contract.values import valid

    # Before the probes' time starts: Hypothesis and the probes loaded (once per process), and
    # what Hypothesis builds on the first draw from each body of the contract. In this thread,
    # where the probes' searches draw: Hypothesis' first run in a thread has a cost of its own.
    prepare()
    for name in checks:
        _probe(name)
    warm([valid(op.body) for op in loaded.writes() if op.body])
    allotted.ready_s = time.perf_counter() - started
    with allotted.spending() as share:
        session = Session(ctx, probing, share)
        try:
            for path in loaded.paths:  # the probes make resources to work on: once here, or never
                parent = loaded.collection_path(path)
                if (create_method == "POST" and parent and loaded.operation("POST", parent)) or (
                        create_method == "PUT" and "{" in path and loaded.operation("PUT", path)):
                    await session.create(path)
        except OutOfBudget:
            pass  # the probes will have no time left either: each says it was cut short
    return probing


@check("contract-rejects-invalid",
       title="Every write refuses every value that breaks the contract, and changes nothing",
       why="RFC 9110 §15.5.21 and the contract (openapi.yaml): a body that breaks a schema is "
           "refused and stored nowhere, whatever the field, the method and the way it breaks",
       hint="Check every field of every POST, PUT and PATCH body against its rules (type, null, "
            "range, whole numbers, length, pattern, enum, required) before storing anything; refuse "
            "the whole request with 422 (or 400), and leave the resource exactly as it was.")
async def contract_rejects_invalid(ctx: CheckContext) -> None:
    """Every write method × every field × every way to break its schema (each other JSON type,
    null where not nullable, out of range, not whole, too short, too long, off-pattern, outside
    the enum, missing) is refused with a refusal status the contract lists, and changes nothing
    (RFC 9110 §15.5.21)."""
    await _explore(ctx, "contract-rejects-invalid")


@check("contract-accepts-valid",
       title="Every write accepts any valid value, and it comes back exactly as sent",
       why="The contract (openapi.yaml): whatever its schemas admit is valid, edges included; "
           "RFC 8259 §8.1: text is UTF-8 and comes back unchanged",
       hint="Accept exactly what the schema admits: bounds are inclusive, lengths count Unicode "
            "characters (an emoji is one), optional fields may be left out (they take their default) "
            "or be null where allowed. Store text as sent: never trim, normalize or re-encode it.")
async def contract_accepts_valid(ctx: CheckContext) -> None:
    """Bodies drawn anywhere in each write's schema, and at each field's edges (each length and
    bound reached, each enum value, null, left out, text beyond ASCII), are accepted with the
    documented status, answered and then shown by GET exactly as sent (defaults for what was
    left out; for PATCH, the other fields as they were)."""
    await _explore(ctx, "contract-accepts-valid")


@check("contract-parameters",
       title="Path and query parameters of any shape get a documented answer, never a 5xx",
       why="RFC 9110 §15.6: a 5xx blames the server; OWASP API8:2023: odd input must not break it, "
           "and a query value that breaks its schema is refused (422 or 400)",
       hint="Read every path and query parameter defensively: text where you expect a number, "
            "numbers beyond 64 bits, empty values, Unicode, cursors you never issued. An id that "
            "names nothing is a 404, a query value outside its rules a 422 problem, a bad cursor "
            "a 400: never an exception.")
async def contract_parameters(ctx: CheckContext) -> None:
    """Path parameters of any shape, query parameters that break their schema or are garbage,
    and issued cursors changed, are answered with a status the contract lists for the route
    (a refusal for a value that breaks the schema), never a 5xx (RFC 9110 §15.6)."""
    await _explore(ctx, "contract-parameters")


@check("contract-errors-are-problems",
       title="Every error is a whole problem details object, as the contract documents",
       why="RFC 9457 §3: every error answers application/problem+json with the members the "
           "contract requires, and `status` equal to the HTTP status (§3.1.3)",
       hint="Answer every 4xx and 5xx through one function that builds the problem: Content-Type "
            "application/problem+json (a charset parameter is fine), and type, title, status (the "
            "HTTP status, a JSON integer) and detail. Mind what your framework answers on its own: "
            "malformed JSON, 404, 405, 415.")
async def contract_errors_are_problems(ctx: CheckContext) -> None:
    """Every error the probes provoke (malformed JSON, a body not sent as JSON, an invalid body
    or query, an unknown id, an unsupported method, no credentials) has the documented media
    type, a body following the documented schema, and `status` equal to the HTTP status."""
    await _explore(ctx, "contract-errors-are-problems")


@check("contract-allow-and-routes",
       title="Every method a 405 advertises is answered, and paths outside the contract are 404 problems",
       why="RFC 9110 §15.5.6 and §10.2.1: Allow names the methods the resource supports, all of "
           "them and only those; RFC 9457: an unknown path is a problem too, not an HTML page",
       hint="Build Allow from the routes you really serve, and answer each method it names. Make "
            "the fallback for unknown paths a 404 problem (application/problem+json), not your "
            "framework's default page.")
async def contract_allow_and_routes(ctx: CheckContext) -> None:
    """On every path, a method the contract does not document is a 405 whose Allow names every
    documented method and only methods that are answered (RFC 9110 §10.2.1); a path outside the
    contract is a 4xx problem, never HTML or a 5xx."""
    await _explore(ctx, "contract-allow-and-routes")


@check("contract-lists-match-items",
       title="Every item of a list is what a GET of that item shows, field by field",
       why="RFC 9110 §9.3.1: a list shows the resources themselves, so every listed item must be "
           "what a GET of it answers",
       hint="Build list items and single items from the same stored data with the same function; "
            "never keep a second copy, or a summary, that can drift.")
async def contract_lists_match_items(ctx: CheckContext) -> None:
    """Every item of every list (following its next links), compared field by field with a GET
    of that item, which also follows the contract's schema."""
    await _explore(ctx, "contract-lists-match-items")


async def _explore(ctx: CheckContext, name: str) -> None:
    """Run check `name`'s probe within its share of the probes' budget; cut short by the budget,
    it passes with what it reached."""
    from grader.contract.session import Session  # loads Hypothesis: only a run that probes pays

    probe = _probe(name)
    probing: Probing = ctx.fixtures["contract"]
    with probing.budget.spending(name) as share:
        session = Session(ctx, probing, share)
        try:
            if share.left() <= 0:
                raise OutOfBudget("no time is left for this probe")
            finding = await probe(session)
        except CheckFailed:  # it stopped before probing (a resource it needs could not be made)
            exchanges = ctx.wire.exchanges
            del exchanges[session.first:len(exchanges) - KEPT_ON_FAILURE]
            raise
        except OutOfBudget:
            finding = None
            session.explorer.cut_short = True
    if finding is None and session.explorer.cut_short:
        probing.budget.cut(name)
    session.conclude(finding)


def _probe(name: str) -> Any:
    """The probe that check `name` runs (its module imported on first use)."""
    import importlib

    module, function = PROBES[name].split(".")
    return getattr(importlib.import_module(f"grader.contract.{module}"), function)
