"""Run the declarative steps of an exercise file: send a request, compare, capture."""

from __future__ import annotations

from typing import Any

from apilab.catalog.models import Expect, Step
from grader.context import NO_BODY, CheckContext
from grader.matchers import (
    MISSING,
    describe,
    expectation,
    filled,
    matches,
    nodes_mismatch,
    text_change,
    value_at,
)
from grader.wire import Received


async def run_steps(ctx: CheckContext, steps: list[Step]) -> Received | None:
    """Run steps in order, sharing captures; the first unmet expectation fails the check."""
    response = None
    for number, step in enumerate(steps, 1):
        if step.setup:
            with ctx.preparing(f"preparing: step {number} of {len(steps)} "
                               f"({step.method} {ctx.fill(step.path)})"):
                response = await run_step(ctx, step)
        else:
            response = await run_step(ctx, step)
    return response


async def run_step(ctx: CheckContext, step: Step) -> Received:
    path = ctx.fill(step.path)
    response = await ctx.request(
        step.method,
        path,
        headers={k: str(ctx.fill(v)) for k, v in step.headers.items()},
        json_body=ctx.fill(step.json_body) if step.json_body is not None else NO_BODY,
        body=ctx.fill(step.body) if step.body is not None else None,
        query={k: str(ctx.fill(v)) for k, v in step.query.items()},
        follow_redirects=step.follow_redirects,
    )
    # Expectations may refer to the status just received, e.g. a problem's `status` member.
    ctx.vars["response_status"] = response.status
    expect(ctx, f"{step.method} {path}", step.expect, response)
    for name, capture in step.capture.items():
        ctx.vars[name] = _capture(ctx, name, capture.header, capture.json_path, response)
    return response


def expect(ctx: CheckContext, label: str, rules: Expect, response: Received) -> None:
    """Fail with the first rule the response breaks, saying what was expected and received."""
    if rules.status is not None:
        wanted = rules.status if isinstance(rules.status, list) else [rules.status]
        if response.status not in wanted:
            ctx.fail(
                f"{label} answered {response.status}",
                expected="status " + " or ".join(str(s) for s in wanted),
                received=f"status {response.status} {response.reason}".rstrip(),
            )
    if rules.content_type is not None and response.media_type != rules.content_type.lower():
        ctx.fail(
            f"{label}: wrong Content-Type",
            expected=f"Content-Type {rules.content_type}",
            received=f"Content-Type {response.headers.get('content-type', '(none)')}",
        )
    for name, matcher in rules.headers.items():
        matcher = filled(matcher, ctx.fill)
        value = response.headers.get(name, MISSING)
        if not matches(matcher, value):
            ctx.fail(
                f"{label}: header {name} is not as expected",
                expected=f"{name} {describe(matcher)}",
                received=f"{name}: {value}" if value is not MISSING else f"no {name} header",
            )
    if rules.body_empty is not None and (len(response.body) == 0) != rules.body_empty:
        ctx.fail(
            f"{label}: the body should {'be empty' if rules.body_empty else 'not be empty'}",
            expected="an empty body" if rules.body_empty else "a body",
            received=f"{len(response.body)} bytes" if response.body else "an empty body",
        )
    if rules.json_paths:
        document = ctx.json(response)
        for path, matcher in rules.json_paths.items():
            matcher = filled(matcher, ctx.fill)
            received = nodes_mismatch(matcher, path, document)
            if received is not None:
                change = text_change(matcher.equals, value_at(document, path))
                ctx.fail(f"{label}: body field {path} is not as expected"
                         + (f": {change}" if change else ""),
                         expected=expectation(matcher, path), received=received)


def _capture(ctx: CheckContext, name: str, header: str | None, path: str | None,
             response: Received) -> Any:
    if header is not None:
        value = response.headers.get(header)
        if value is None:
            ctx.fail(f"the response has no {header} header, which the next step needs",
                     expected=f"a {header} header", received="none")
        return value
    value = value_at(ctx.json(response), path or "$")
    if value is MISSING:
        ctx.fail(f"the response body has no {path}, which the next step needs (as ${{{name}}})",
                 expected=f"a field {path}", received="absent")
    return value
