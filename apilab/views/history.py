"""An exercise's past runs as plain text, for `apilab history`: when, what, the result, and
which server and URL each run graded."""

from __future__ import annotations

from collections.abc import Sequence

from apilab.catalog.models import Exercise
from apilab.store import RunSummary
from apilab.untrusted import clean
from apilab.views.times import when

RESULT_WORDS = {"pass": "passed", "fail": "failed", "error": "not graded"}


def result_words(status: str) -> str:
    return RESULT_WORDS.get(status) or clean(status)


def runs_as_text(exercise: Exercise, runs: Sequence[RunSummary]) -> str:
    """One line per run, newest first as given; the server is the command apilab ran it with,
    or "(yours)" for one the learner started themselves."""
    if not runs:
        return (f"No runs of {exercise.slug} yet: serve it (apilab serve {exercise.slug}), then "
                f"apilab check {exercise.slug}.")
    lines = [f"{exercise.number}. {exercise.title}: {len(runs)} run{'s' * (len(runs) != 1)}, "
             "newest first", ""]
    for run in runs:
        server = clean(run.server) if run.server else "(yours)"
        lines.append(f"{when(run.started_at)}  {run.kind:<6}  {result_words(run.status):<10}  "
                     f"{run.score:>3}/{run.max_score:<3}  {clean(run.url)}  {server}")
    return "\n".join(lines)
