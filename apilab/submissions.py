"""Grade an exercise and keep the result: the one path that `check`, `submit` and the app share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from apilab.catalog.models import Exercise
from apilab.ports import SANDBOX_PORT
from apilab.store import Store, StoreError
from grader.report import Report
from grader.runner import ProgressCallback, grade

# Where the services an exercise may need run unless told otherwise (`apilab sandbox`'s default).
DEFAULT_SERVICES = {"sandbox": f"http://127.0.0.1:{SANDBOX_PORT}"}


@dataclass(frozen=True)
class Recorded:
    report: Report
    run_id: str | None  # None when the run could not be saved
    warning: str | None = None  # why it could not be saved


async def grade_and_record(
    exercise: Exercise,
    url: str,
    store: Store,
    *,
    seed: int | None = None,
    submit: bool = False,
    send_to_hub: bool = False,
    allow_remote: bool = False,
    services: Mapping[str, str] | None = None,
    start_hint: str | None = None,
    on_progress: ProgressCallback | None = None,
    server: str | None = None,
    by_stage: bool = False,
    only: str | None = None,
    grade_with: Callable[..., Awaitable[Report]] = grade,
) -> Recorded:
    """Grade the server at `url` and record the run, with `server`, the command that serves it
    when apilab started it.

    A submission (`submit`) includes the hidden checks; with `send_to_hub` it is also queued in
    the outbox, in the same transaction; without it, it is kept as never sent, to offer when
    the learner joins a hub. When the run cannot be saved (a full disk, a damaged
    database) the report is still returned with a warning: the result on screen is not lost.
    `services` gives the URLs of services such as the sandbox; those not given run at their
    default address (`DEFAULT_SERVICES`). `by_stage` stops after the first stage with a failure
    (a submission runs every stage); a run of one check (`only`) is not recorded, since it
    grades no more than that check. `grade_with` grades: `grader.runner.grade`, in this process,
    unless the caller has a process that grades (the app's `GradingProcess`).
    """
    report = await grade_with(
        exercise, url, seed=seed, include_hidden=submit, allow_remote=allow_remote,
        services={**DEFAULT_SERVICES, **(services or {})}, start_hint=start_hint,
        on_progress=on_progress, by_stage=by_stage and not submit, only=only,
    )
    if only is not None:
        return Recorded(report, None)
    try:
        run_id = store.record_run(report, "submit" if submit else "check",
                                  send_to_hub=send_to_hub and submit,
                                  unsent=submit and not send_to_hub, server=server)
    except StoreError as exc:
        return Recorded(report, None, f"Your result was not saved: {exc}")
    return Recorded(report, run_id)
