"""The probes' view of an exercise, prepared once per run by the `contract` run fixture, and the
resources they work on. Light on purpose: the course loads it without Hypothesis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.contract.budget import Budget
from grader.contract.document import Contract


@dataclass(frozen=True)
class Probing:
    """The probes' view of the exercise: its contract, and what every probe request carries."""

    contract: Contract
    budget: Budget  # the probes' time in this run, shared by the probe checks
    headers: dict[str, str] = field(default_factory=dict)  # credentials, filled from fixtures
    id_field: str | None = None  # the field of an item that its URL names (else the path's)
    # How a resource is made: POST to its collection, or (PUT) at its own URL, with these headers.
    create_method: str = "POST"
    create_headers: dict[str, str] = field(default_factory=dict)
    if_match: bool = False  # writes to a resource send If-Match with the ETag it last showed
    problem_statuses: str = "4xx and 5xx"  # "4xx": the README leaves a 5xx's body free


@dataclass
class Resource:
    url: str  # a path on the learner's server (or an absolute URL elsewhere)
    path: str  # the template it is an instance of
    document: Any  # as the server last showed it
    etag: str | None = None  # as the server last gave it
    # Refused writes sent since the server last showed it: (body, their exchanges).
    refused: list[tuple[Any, list[Any]]] = field(default_factory=list)
