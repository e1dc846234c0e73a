"""Grade an exercise and keep the result: the one path that `check`, `submit` and the app share."""

from __future__ import annotations

from typing import Literal

from apilab.catalog.models import Exercise
from apilab.store import Store, StoreError
from grader.report import Report
from grader.runner import ProgressCallback, grade


async def grade_and_record(
    exercise: Exercise,
    url: str,
    *,
    store: Store | None = None,
    seed: int | None = None,
    include_hidden: bool = False,
    allow_remote: bool = False,
    on_progress: ProgressCallback | None = None,
) -> tuple[Report, str | None]:
    """Grade the server at `url` and record the run.

    Returns the report and, when it could not be saved, a warning saying why: a full disk or a
    damaged database must not cost the learner the result on screen.
    """
    report = await grade(
        exercise, url, seed=seed, include_hidden=include_hidden, allow_remote=allow_remote,
        start_hint=f"apilab serve {exercise.slug}", on_progress=on_progress,
    )
    kind: Literal["check", "submit"] = "submit" if include_hidden else "check"
    try:
        owned = store is None
        store = store or Store.open_default()
        try:
            store.record_run(report, kind)
        finally:
            if owned:
                store.close()
    except StoreError as exc:
        return report, f"Your result was not saved: {exc}"
    return report, None
