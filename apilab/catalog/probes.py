"""What `[probes]` in exercise.toml adds to an exercise: the contract probes, as ordinary checks.

    [probes]
    budget = 6                      # seconds for all the probes of a run, setup included
    paths = ["/v2/books", "/v2/books/{id}"]   # the documented paths to probe (default: all)
    checks = { contract-rejects-invalid = 3, contract-accepts-valid = 3 }   # kind = points
    needs = ["alice"]               # run fixtures whose values the headers use (optional)
    headers = { Authorization = "Bearer ${alice.token}" }                  # (optional)
    create_method = "PUT"           # resources named by the client: made with PUT (optional)
    create_headers = { If-None-Match = "*" }                                # (optional)
    if_match = true                 # writes send If-Match with the current ETag (optional)
    problem_statuses = "4xx"        # the README makes 4xx problems, 5xx bodies free (optional)

becomes a run fixture `contract` (`use = "contract"`, reading openapi.yaml beside the file) and,
after the exercise's own checks, one check per kind named, with the title, why and hint the
grader registers for it. Mutants name them in `caught_by` like any other check.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from apilab.catalog.models import Probes

if TYPE_CHECKING:
    from grader.checks.registry import Registry

FIXTURE = "contract"


class ProbesError(ValueError):
    """The `[probes]` table is wrong; `key` names where (below `probes`)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


def with_probes(data: dict[str, Any], folder: Path, registry: Registry) -> dict[str, Any]:
    """`data` (an exercise.toml, parsed) with the fixture and checks its `[probes]` switch on."""
    if "probes" not in data:
        return data
    try:
        probes = Probes.model_validate(data["probes"])
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ProbesError(".".join(str(p) for p in error["loc"]), error["msg"]) from None
    known = sorted(name for name, registered in registry.checks.items()
                   if registered.module.endswith(".contract"))
    for name in probes.checks:
        if name not in known:
            raise ProbesError(f"checks.{name}", f"no such probe; the probes are {', '.join(known)}")
    document = folder / probes.document
    if not document.is_file():
        raise ProbesError("document", f"{probes.document} is not a file beside exercise.toml; "
                                      "the probes explore the contract it states")
    fixtures = dict(data.get("fixtures") or {})
    if FIXTURE in fixtures:
        raise ProbesError("checks", f"the fixture name {FIXTURE!r} is taken by the probes; "
                                    "rename the exercise's own fixture")
    fixtures[FIXTURE] = {
        "use": FIXTURE, "title": f"the contract to probe ({probes.document}, "
                                 f"{probes.budget:g} s of probes)",
        "needs": list(probes.needs),
        "with": {"document": str(document.resolve()), "budget": float(probes.budget),
                 "checks": list(probes.checks), **({"headers": probes.headers} if probes.headers else {}),
                 **({"paths": list(probes.paths)} if probes.paths else {}),
                 **({"id_field": probes.id_field} if probes.id_field else {}),
                 "create_method": probes.create_method, "create_headers": dict(probes.create_headers),
                 "if_match": probes.if_match, "problem_statuses": probes.problem_statuses},
    }
    checks = [*data.get("checks", []), *(
        {"id": name, "points": points, "use": name, "needs": [FIXTURE],
         **registry.checks[name].defaults}
        for name, points in probes.checks.items())]
    return {**data, "fixtures": fixtures, "checks": checks}
