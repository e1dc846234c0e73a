"""The progress store: one SQLite file with every run's report, notebook runs and mentor feedback.

This is the only module that writes SQL. The schema grows through named migrations, recorded in
`_migrations` and applied once each, in a transaction. Every sqlite3 failure a learner could meet
(a damaged file, a read-only folder, a full disk) becomes a `StoreError` that says what to do.

    store = Store.open_default()
    run_id = store.record_run(report)
    store.progress()["reading-list"].status  # "passed"
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

import sqlite_utils
from pydantic import ValidationError

from grader.report import Report

RunKind = Literal["check", "submit"]
ProgressStatus = Literal["not_started", "failing", "passed"]
Clock = Callable[[], datetime]


class StoreError(Exception):
    """The progress database cannot be used. The message says what happened and what to do."""


@dataclass(frozen=True)
class RunSummary:
    id: str
    exercise: str
    kind: RunKind
    status: str  # the report's status: pass, fail or error
    score: int
    max_score: int
    seed: int
    started_at: datetime
    duration_ms: float


@dataclass(frozen=True)
class ExerciseProgress:
    status: ProgressStatus
    best_score: int = 0
    max_score: int = 0
    runs: int = 0
    last_run_at: datetime | None = None
    verdict: str | None = None  # the latest mentor review: approved or changes_requested
    score_override: int | None = None  # the mentor's score in that review, if they gave one

    @classmethod
    def not_started(cls, max_score: int = 0) -> ExerciseProgress:
        return cls(status="not_started", max_score=max_score)


@dataclass(frozen=True)
class Feedback:
    id: str
    run_id: str
    exercise: str
    check_id: str | None
    author: str
    body: str  # Markdown
    verdict: str | None
    created_at: datetime
    read: bool
    kind: str = "note"  # or "review", which carries a verdict
    score_override: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    """A run waiting to reach the hub. Its id is the run's id, so resending never duplicates."""

    run_id: str
    kind: RunKind
    report_json: str
    attempts: int
    last_error: str | None


# --- migrations ---------------------------------------------------------------------------------

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(function: Migration) -> Migration:
    """Register a schema change under its function name. Never rename or edit one once shipped:
    add a new migration instead, since the name is what marks it applied."""
    MIGRATIONS.append((function.__name__, function))
    return function


@migration
def create_runs(db: sqlite_utils.Database) -> None:
    db["runs"].create(
        {"id": str, "exercise": str, "exercise_id": str, "kind": str, "status": str,
         "score": int, "max_score": int, "seed": int, "url": str, "started_at": str,
         "duration_ms": float, "report": str},
        pk="id", not_null={"exercise", "kind", "status", "started_at", "report"},
    )
    db["runs"].create_index(["exercise", "started_at"])


@migration
def create_notebook_runs(db: sqlite_utils.Database) -> None:
    db["notebook_runs"].create(
        {"id": str, "lesson": str, "ok": int, "duration_ms": float, "error": str, "ran_at": str},
        pk="id", not_null={"lesson", "ok", "ran_at"},
    )


@migration
def create_feedback(db: sqlite_utils.Database) -> None:
    db["feedback"].create(
        {"id": str, "run_id": str, "exercise": str, "check_id": str, "author": str, "body": str,
         "verdict": str, "created_at": str, "read": int},
        pk="id", not_null={"run_id", "exercise", "author", "body", "created_at", "read"},
        foreign_keys=[("run_id", "runs", "id")],
    )


@migration
def add_reviews_to_feedback(db: sqlite_utils.Database) -> None:
    db["feedback"].add_column("kind", str, not_null_default="note")
    db["feedback"].add_column("score_override", int)
    db["feedback"].add_column("reason", str)


@migration
def create_outbox(db: sqlite_utils.Database) -> None:
    # A run to send to the hub. The row is written in the same transaction as the run, so a
    # crash can lose neither one without the other; it is deleted only once the hub has it.
    db["outbox"].create(
        {"run_id": str, "queued_at": str, "attempts": int, "last_error": str,
         "last_attempt_at": str},
        pk="run_id", not_null={"queued_at", "attempts"}, defaults={"attempts": 0},
        foreign_keys=[("run_id", "runs", "id")],
    )


@migration
def create_sync_state(db: sqlite_utils.Database) -> None:
    db["sync_state"].create({"key": str, "value": str}, pk="key")


def migrate(db: sqlite_utils.Database, now: str) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names."""
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for name, function in MIGRATIONS:
        if name in done:
            continue
        with db.atomic():
            function(db)
            db["_migrations"].insert({"name": name, "applied_at": now})
        applied.append(name)
    return applied


# --- errors -------------------------------------------------------------------------------------

P = ParamSpec("P")
T = TypeVar("T")


def _explain(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        advice = ("it is read-only. Make it writable, or point APILAB_HOME at a folder you can "
                  "write to")
    elif "disk is full" in text or "disk i/o" in text:
        advice = "the disk is full or failing. Free some space and try again"
    elif "locked" in text or "busy" in text:
        advice = "another apilab process is holding it. Close it and try again"
    elif "closed database" in text:
        advice = "this Store was already closed; open a new one"
    elif "unable to open" in text:
        advice = "it could not be opened. Check that its folder exists and is writable"
    else:
        advice = (f"it is damaged. Move it aside: mv {path} {path}.broken; "
                  "progress is rebuilt from scratch")
    return StoreError(f"cannot use the progress database {path} ({exc}): {advice}.")


def _guarded(method: Callable[P, T]) -> Callable[P, T]:
    """Turn sqlite3 errors in a Store method into a StoreError naming the file."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise _explain(args[0].path, exc) from None  # type: ignore[attr-defined]

    return wrapper


# --- the store ----------------------------------------------------------------------------------


class Store:
    """Progress of one learner, kept in the SQLite file at `path`."""

    @_guarded
    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        """Open (creating it and its folder if needed) the database and bring its schema up to
        date. Raises StoreError when the file is not a database, is damaged, read-only, or the
        disk is full."""
        self.path = Path(path)
        self._clock = clock or (lambda: datetime.now(UTC))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the progress database {self.path}: "
                f"{exc.strerror or exc}. Set APILAB_HOME to a writable folder.") from None
        self.db = sqlite_utils.Database(self.path)
        try:
            self.db.enable_wal()
            self.db.execute("PRAGMA foreign_keys = ON")
            migrate(self.db, self._now())
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def open_default(cls) -> Store:
        """The learner's store, at `apilab.paths.progress_db()` (under APILAB_HOME)."""
        from apilab.paths import progress_db

        return cls(progress_db())

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat()

    @_guarded
    def applied_migrations(self) -> list[str]:
        """Names of the migrations applied to this file, in the order they ran."""
        return [row["name"] for row in self.db["_migrations"].rows_where(order_by="rowid")]

    @_guarded
    def journal_mode(self) -> str:
        return self.db.journal_mode

    # --- runs -----------------------------------------------------------------------------------

    @_guarded
    def record_run(self, report: Report, kind: RunKind = "check", *, send_to_hub: bool = False,
                   run_id: str | None = None) -> str:
        """Keep a grader report (the whole of it); return the run's id.

        With `send_to_hub`, the run is also queued in the outbox, in the same transaction.
        `run_id` keeps the id of a run recorded elsewhere (a submission fetched from the hub).
        """
        run_id = run_id or str(uuid.uuid4())
        with self.db.atomic():
            self.db["runs"].insert({
                "id": run_id, "exercise": report.exercise, "exercise_id": report.exercise_id,
                "kind": kind, "status": report.status, "score": report.score,
                "max_score": report.max_score, "seed": report.seed, "url": report.url,
                "started_at": _iso(report.started_at), "duration_ms": report.duration_ms,
                "report": report.to_json(indent=None),
            })
            if send_to_hub:
                self.db["outbox"].insert({"run_id": run_id, "queued_at": self._now(), "attempts": 0})
        return run_id

    @_guarded
    def has_run(self, run_id: str) -> bool:
        return bool(self.db["runs"].count_where("id = ?", [run_id]))

    @_guarded
    def runs(self, exercise: str | None = None, limit: int = 50) -> list[RunSummary]:
        """The latest runs, newest first, of one exercise (by slug) or of all of them."""
        where, args = ("exercise = ?", [exercise]) if exercise else (None, [])
        rows = self.db["runs"].rows_where(where, args, order_by="started_at desc, rowid desc",
                                          limit=limit)
        return [_summary(row) for row in rows]

    @_guarded
    def report(self, run_id: str) -> Report:
        """The full report of one run; KeyError if there is no such run."""
        try:
            row = self.db["runs"].get(run_id)
        except sqlite_utils.db.NotFoundError:
            raise KeyError(f"no run {run_id!r} in {self.path}") from None
        try:
            return Report.from_json(row["report"])
        except ValidationError as exc:
            raise StoreError(f"the report of run {run_id} in {self.path} cannot be read "
                             f"({exc.error_count()} problems); it was written by another version "
                             "of apilab or the file is damaged.") from None

    @_guarded
    def progress(self) -> dict[str, ExerciseProgress]:
        """Progress per exercise slug. Exercises never run are absent: use
        `progress.get(slug, ExerciseProgress.not_started())`."""
        result: dict[str, ExerciseProgress] = {}
        rows = self.db["runs"].rows_where(order_by="started_at, rowid",
                                          select="exercise, status, score, max_score, started_at")
        for row in rows:
            before = result.get(row["exercise"], ExerciseProgress.not_started())
            passed = before.status == "passed" or row["status"] == "pass"
            result[row["exercise"]] = ExerciseProgress(
                status="passed" if passed else "failing",
                best_score=max(before.best_score, row["score"]),
                max_score=row["max_score"],  # the latest run's, should the exercise change
                runs=before.runs + 1,
                last_run_at=datetime.fromisoformat(row["started_at"]),
            )
        reviews = self.db["feedback"].rows_where(
            "kind = 'review'", order_by="created_at, rowid",
            select="exercise, verdict, score_override")
        for review in reviews:  # the latest review of an exercise wins
            if review["exercise"] in result:
                result[review["exercise"]] = dataclasses.replace(
                    result[review["exercise"]], verdict=review["verdict"],
                    score_override=review["score_override"])
        return result

    # --- notebooks ------------------------------------------------------------------------------

    @_guarded
    def record_notebook_run(self, lesson: str, ok: bool, duration_ms: float,
                            error: str | None = None) -> None:
        """Note that a lesson's notebook ran, and whether it ran to the end."""
        with self.db.atomic():
            self.db["notebook_runs"].insert({
                "id": str(uuid.uuid4()), "lesson": lesson, "ok": int(ok),
                "duration_ms": duration_ms, "error": error, "ran_at": self._now(),
            })

    @_guarded
    def notebook_runs(self, lesson: str | None = None) -> list[dict[str, Any]]:
        """Notebook runs, newest first: lesson, ok, duration_ms, error, ran_at."""
        where, args = ("lesson = ?", [lesson]) if lesson else (None, [])
        return [
            {**row, "ok": bool(row["ok"]), "ran_at": datetime.fromisoformat(row["ran_at"])}
            for row in self.db["notebook_runs"].rows_where(where, args,
                                                           order_by="ran_at desc, rowid desc")
        ]

    # --- feedback -------------------------------------------------------------------------------

    @_guarded
    def add_feedback(self, run_id: str, author: str, body_markdown: str,
                     check_id: str | None = None, verdict: str | None = None,
                     feedback_id: str | None = None, score_override: int | None = None,
                     reason: str | None = None, created_at: datetime | None = None) -> str:
        """Keep a mentor's note on a run (optionally on one check of it); return its id.

        Given an existing `feedback_id` (as a hub sync does), the note is updated in place and
        keeps its read state. KeyError if the run is not in this store.
        """
        try:
            run = self.db["runs"].get(run_id)
        except sqlite_utils.db.NotFoundError:
            raise KeyError(f"no run {run_id!r} in {self.path}; "
                           "feedback must refer to a run") from None
        feedback_id = feedback_id or str(uuid.uuid4())
        values = {"run_id": run_id, "exercise": run["exercise"], "check_id": check_id,
                  "author": author, "body": body_markdown, "verdict": verdict,
                  "kind": "review" if verdict else "note", "score_override": score_override,
                  "reason": reason}
        table = self.db["feedback"]
        when = _iso(created_at) if created_at else self._now()
        with self.db.atomic():
            if table.count_where("id = ?", [feedback_id]):
                table.update(feedback_id, values)
            else:
                table.insert({"id": feedback_id, **values, "created_at": when, "read": 0})
        return feedback_id

    @_guarded
    def feedback(self, unread_only: bool = False) -> list[Feedback]:
        """Mentor feedback, newest first."""
        where = "read = 0" if unread_only else None
        rows = self.db["feedback"].rows_where(where, order_by="created_at desc, rowid desc")
        return [
            Feedback(**{**row, "created_at": datetime.fromisoformat(row["created_at"]),
                        "read": bool(row["read"])})
            for row in rows
        ]

    @_guarded
    def unread_count(self) -> int:
        return self.db["feedback"].count_where("read = 0")

    @_guarded
    def mark_read(self, feedback_id: str) -> None:
        """Mark one note read; KeyError if there is no such note."""
        try:
            with self.db.atomic():
                self.db["feedback"].update(feedback_id, {"read": 1})
        except sqlite_utils.db.NotFoundError:
            raise KeyError(f"no feedback {feedback_id!r} in {self.path}") from None

    # --- outbox and sync state ------------------------------------------------------------------

    @_guarded
    def outbox(self, limit: int | None = None) -> list[OutboxItem]:
        """Runs waiting for the hub, oldest first."""
        rows = self.db.query(
            "select o.run_id, r.kind, r.report, o.attempts, o.last_error from outbox o "
            "join runs r on r.id = o.run_id order by o.queued_at, o.rowid"
            + (" limit ?" if limit else ""), [limit] if limit else [])
        return [OutboxItem(run_id=row["run_id"], kind=row["kind"], report_json=row["report"],
                           attempts=row["attempts"], last_error=row["last_error"]) for row in rows]

    @_guarded
    def outbox_count(self) -> int:
        return self.db["outbox"].count

    @_guarded
    def mark_sent(self, run_id: str) -> None:
        """The hub has the run: take it out of the outbox."""
        with self.db.atomic():
            self.db["outbox"].delete_where("run_id = ?", [run_id])

    @_guarded
    def mark_attempt(self, run_id: str, error: str) -> None:
        """Sending failed; keep the run queued and remember why."""
        with self.db.atomic():
            self.db.execute(
                "update outbox set attempts = attempts + 1, last_error = ?, last_attempt_at = ? "
                "where run_id = ?", [error, self._now(), run_id])

    @_guarded
    def state(self, key: str, default: str | None = None) -> str | None:
        """A value kept between syncs, such as the hub's feedback cursor."""
        rows = list(self.db["sync_state"].rows_where("key = ?", [key]))
        return rows[0]["value"] if rows else default

    @_guarded
    def set_state(self, key: str, value: str) -> None:
        with self.db.atomic():
            self.db["sync_state"].upsert({"key": key, "value": value}, pk="key")

    def close(self) -> None:
        """Close the file; the store cannot be used afterwards. Safe to call twice."""
        with contextlib.suppress(sqlite3.Error):
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _summary(row: dict[str, Any]) -> RunSummary:
    return RunSummary(
        id=row["id"], exercise=row["exercise"], kind=row["kind"], status=row["status"],
        score=row["score"], max_score=row["max_score"], seed=row["seed"],
        started_at=datetime.fromisoformat(row["started_at"]), duration_ms=row["duration_ms"],
    )
