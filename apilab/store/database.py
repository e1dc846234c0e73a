"""The `Store`: the learner's progress in one SQLite file (runs, notebook runs, feedback, outbox)."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apilab.paths import create_private
from apilab.store.errors import StoreError, guarded
from apilab.store.migrations import applied_names, migrate, pending
from apilab.store.records import (
    Clock,
    ExerciseProgress,
    Feedback,
    OutboxItem,
    RunKind,
    RunSummary,
)
from apilab.store.standing import Review, best_run, standing

if TYPE_CHECKING:
    import sqlite_utils

    from grader.report import Report


class Store:
    """Progress of one learner, kept in the SQLite file at `path`.

    What the app's first screen reads (progress, captured flags, unread feedback) is read with
    sqlite3 alone, and what a check or a notebook's check writes is written with it; sqlite-utils,
    a tenth of a second to import, comes with the other reads and writes (`db`), and at opening
    only when the schema has a step to run.
    """

    @guarded
    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        """Open (creating it and its folder if needed) the database and bring its schema up to
        date. Raises StoreError when the file is not a database, is damaged, read-only, or the
        disk is full."""
        self.path = Path(path)
        self._clock = clock or (lambda: datetime.now(UTC))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private(self.path)
        except OSError as exc:
            raise StoreError(
                f"cannot create the progress database {self.path} or its folder: "
                f"{exc.strerror or exc}. Set APILAB_HOME to a writable folder.") from None
        self._connection = sqlite3.connect(self.path)
        try:
            if self._connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self._connection.execute("PRAGMA journal_mode = wal")
            self._connection.execute("PRAGMA foreign_keys = ON")
            if pending(self._connection):
                migrate(self.db)
        except BaseException:
            self._connection.close()
            raise

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """The file through sqlite-utils, on the store's one connection."""
        import sqlite_utils

        # No sqlite-utils plugins: none is meant for this file, and finding them scans every
        # installed package's entry points.
        return sqlite_utils.Database(self._connection, execute_plugins=False)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows as dicts, as `db.query` gives them, with sqlite3 alone."""
        cursor = self._connection.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        return (dict(zip(columns, row, strict=True)) for row in cursor)

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        """Insert `row` into `table` with sqlite3 alone: what `apilab check` and a notebook's
        check write, where loading sqlite-utils would cost more than the write."""
        columns = ", ".join(f'"{name}"' for name in row)
        self._connection.execute(f'insert into "{table}" ({columns}) values '
                                 f'({", ".join("?" * len(row))})', list(row.values()))

    @classmethod
    def open_default(cls) -> Store:
        """The learner's store, at `apilab.paths.progress_db()` (under APILAB_HOME)."""
        from apilab.paths import progress_db

        return cls(progress_db())

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat()

    @guarded
    def applied_migrations(self) -> list[str]:
        """Names of the migrations applied to this file, in the order they ran."""
        return applied_names(self.db)

    @guarded
    def journal_mode(self) -> str:
        return self.db.journal_mode

    # --- runs -----------------------------------------------------------------------------------

    @guarded
    def record_run(self, report: Report, kind: RunKind = "check", *, send_to_hub: bool = False,
                   run_id: str | None = None, report_json: str | None = None,
                   server: str | None = None, unsent: bool = False) -> str:
        """Keep a grader report (the whole of it); return the run's id.

        With `send_to_hub`, the run is also queued in the outbox, in the same transaction.
        `run_id` keeps the id of a run recorded elsewhere (a submission fetched from the hub),
        and `report_json` the report's text as it came, which may hold fields of a newer schema
        that `report` (read leniently) does not. `server` is the command that served what was
        graded, when apilab started it. `unsent` marks a submission made with no hub to send
        it to, so that it can be offered later (`unsent_submissions`).
        """
        run_id = run_id or str(uuid.uuid4())
        with self._connection:  # one transaction
            self._insert("runs", {
                "id": run_id, "exercise": report.exercise, "exercise_id": report.exercise_id,
                "kind": kind, "status": report.status, "score": report.score,
                "max_score": report.max_score, "seed": report.seed, "url": report.url,
                "started_at": _iso(report.started_at), "duration_ms": report.duration_ms,
                "report": report_json or report.to_json(indent=None), "server": server,
                "unsent": 1 if unsent else None,
            })
            if send_to_hub:
                self._insert("outbox", {"run_id": run_id, "queued_at": self._now(), "attempts": 0})
        return run_id

    @guarded
    def has_run(self, run_id: str) -> bool:
        return bool(self.db["runs"].count_where("id = ?", [run_id]))

    @guarded
    def runs(self, exercise: str | None = None, limit: int = 50) -> list[RunSummary]:
        """The latest runs, newest first, of one exercise (by slug) or of all of them."""
        where, args = ("exercise = ?", [exercise]) if exercise else (None, [])
        rows = self.db["runs"].rows_where(where, args, order_by="started_at desc, rowid desc",
                                          limit=limit)
        return [_summary(row) for row in rows]

    @guarded
    def report(self, run_id: str) -> Report:
        """The full report of one run; KeyError if there is no such run."""
        from sqlite_utils.db import NotFoundError

        from grader.report import ReportUnreadable, read_report  # its models take long to build

        try:
            row = self.db["runs"].get(run_id)
        except NotFoundError:
            raise KeyError(f"no run {run_id!r} in {self.path}") from None
        try:
            return read_report(row["report"])
        except ReportUnreadable as exc:
            raise StoreError(f"the report of run {run_id} in {self.path} cannot be read "
                             f"({str(exc).splitlines()[0]}); the file may be damaged.") from None

    @guarded
    def progress(self) -> dict[str, ExerciseProgress]:
        """Each exercise's standing (`apilab.store.standing`), by slug. Exercises never run are
        absent: use `progress.get(slug, ExerciseProgress.not_started())`."""
        runs = self._runs_by_exercise()
        reviews: dict[str, list[Review]] = {}
        for row in self._query("select exercise, run_id, verdict, score_override from feedback "
                               "where kind = 'review' order by created_at, rowid"):
            reviews.setdefault(row["exercise"], []).append(
                Review(row["run_id"], row["verdict"], row["score_override"]))
        unsent = frozenset(run.id for run in self.unsent_submissions())
        return {slug: standing(exercise_runs, reviews.get(slug, []), unsent)
                for slug, exercise_runs in runs.items()}

    @guarded
    def best_runs(self) -> dict[str, RunSummary]:
        """Each exercise's best run, by slug, by the one rule of `apilab.store.standing.best_run`:
        progress and certificates both come from it."""
        return {slug: best for slug, exercise_runs in self._runs_by_exercise().items()
                if (best := best_run(exercise_runs)) is not None}

    def _runs_by_exercise(self) -> dict[str, list[RunSummary]]:
        """Every run, oldest first, by exercise slug."""
        runs: dict[str, list[RunSummary]] = {}
        for row in self._query(f"select {_RUN_COLUMNS} from runs order by started_at, rowid"):
            run = _summary(row)
            runs.setdefault(run.exercise, []).append(run)
        return runs

    @guarded
    def unsent_submissions(self) -> list[RunSummary]:
        """Submissions made before the learner joined a hub and never sent, oldest first."""
        rows = self._query(f"select {_RUN_COLUMNS} from runs where unsent = 1 "
                           "order by started_at, rowid")
        return [_summary(row) for row in rows]

    @guarded
    def queue_unsent(self) -> int:
        """Put the submissions never sent in the outbox, for the next sync; how many."""
        with self.db.atomic():
            ids = [run.id for run in self.unsent_submissions()]
            for run_id in ids:
                self.db["outbox"].insert({"run_id": run_id, "queued_at": self._now(),
                                          "attempts": 0}, ignore=True)
                self.db["runs"].update(run_id, {"unsent": None})
        return len(ids)

    # --- notebooks ------------------------------------------------------------------------------

    @guarded
    def record_notebook_run(self, lesson: str, ok: bool, duration_ms: float,
                            error: str | None = None) -> None:
        """Note that a lesson's notebook ran, and whether it ran to the end."""
        with self._connection:
            self._insert("notebook_runs", {
                "id": str(uuid.uuid4()), "lesson": lesson, "ok": int(ok),
                "duration_ms": duration_ms, "error": error, "ran_at": self._now(),
            })

    @guarded
    def notebook_runs(self, lesson: str | None = None) -> list[dict[str, Any]]:
        """Notebook runs, newest first: lesson, ok, duration_ms, error, ran_at."""
        where, args = ("lesson = ?", [lesson]) if lesson else (None, [])
        return [
            {**row, "ok": bool(row["ok"]), "ran_at": datetime.fromisoformat(row["ran_at"])}
            for row in self.db["notebook_runs"].rows_where(where, args,
                                                           order_by="ran_at desc, rowid desc")
        ]

    # --- security lab flags ---------------------------------------------------------------------

    @guarded
    def record_flag(self, challenge: str, category: str) -> bool:
        """Note a captured challenge; False when it was captured before (the first capture stays)."""
        with self.db.atomic():
            if self.db["flags"].count_where("challenge = ?", [challenge]):
                return False
            self.db["flags"].insert({"challenge": challenge, "category": category,
                                     "captured_at": self._now()})
        return True

    @guarded
    def captured_flags(self) -> dict[str, datetime]:
        """Captured challenges, each with when it was captured."""
        return {row["challenge"]: datetime.fromisoformat(row["captured_at"])
                for row in self._query("select challenge, captured_at from flags "
                                       "order by captured_at, rowid")}

    @guarded
    def flag_captures(self, unsent_only: bool = False) -> list[dict[str, str]]:
        """Captures, oldest first: challenge, category, captured_at (ISO 8601). With
        `unsent_only`, those the hub has not acknowledged yet."""
        return list(self.db["flags"].rows_where("sent_at IS NULL" if unsent_only else None,
                                                order_by="captured_at, rowid",
                                                select="challenge, category, captured_at"))

    def unsent_flags(self) -> list[dict[str, str]]:
        """Captures the hub has not acknowledged yet, oldest first."""
        return self.flag_captures(unsent_only=True)

    @guarded
    def mark_flag_sent(self, challenge: str) -> None:
        self.db["flags"].update(challenge, {"sent_at": self._now()})

    # --- feedback -------------------------------------------------------------------------------

    @guarded
    def add_feedback(self, run_id: str, author: str, body_markdown: str,
                     check_id: str | None = None, verdict: str | None = None,
                     feedback_id: str | None = None, score_override: int | None = None,
                     reason: str | None = None, created_at: datetime | None = None) -> str:
        """Keep a mentor's note on a run (optionally on one check of it); return its id.

        Given an existing `feedback_id` (as a hub sync does), the note is updated in place and
        keeps its read state. KeyError if the run is not in this store.
        """
        from sqlite_utils.db import NotFoundError

        try:
            run = self.db["runs"].get(run_id)
        except NotFoundError:
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

    @guarded
    def feedback(self, unread_only: bool = False) -> list[Feedback]:
        """Mentor feedback, newest first."""
        where = "read = 0" if unread_only else None
        rows = self.db["feedback"].rows_where(where, order_by="created_at desc, rowid desc")
        return [
            Feedback(**{**row, "created_at": datetime.fromisoformat(row["created_at"]),
                        "read": bool(row["read"])})
            for row in rows
        ]

    @guarded
    def unread_count(self) -> int:
        return self._connection.execute("select count(*) from feedback where read = 0").fetchone()[0]

    @guarded
    def mark_read(self, feedback_id: str) -> None:
        """Mark one note read; KeyError if there is no such note."""
        from sqlite_utils.db import NotFoundError

        try:
            with self.db.atomic():
                self.db["feedback"].update(feedback_id, {"read": 1})
        except NotFoundError:
            raise KeyError(f"no feedback {feedback_id!r} in {self.path}") from None

    # --- outbox and sync state ------------------------------------------------------------------

    @guarded
    def outbox(self, limit: int | None = None) -> list[OutboxItem]:
        """Runs waiting for the hub, oldest first."""
        rows = self.db.query(
            "select o.run_id, r.kind, r.report, o.attempts, o.last_error from outbox o "
            "join runs r on r.id = o.run_id order by o.queued_at, o.rowid"
            + (" limit ?" if limit else ""), [limit] if limit else [])
        return [OutboxItem(run_id=row["run_id"], kind=row["kind"], report_json=row["report"],
                           attempts=row["attempts"], last_error=row["last_error"]) for row in rows]

    @guarded
    def outbox_count(self) -> int:
        return self.db["outbox"].count

    @guarded
    def mark_sent(self, run_id: str) -> None:
        """The hub has the run: take it out of the outbox."""
        with self.db.atomic():
            self.db["outbox"].delete_where("run_id = ?", [run_id])

    @guarded
    def mark_attempt(self, run_id: str, error: str) -> None:
        """Sending failed; keep the run queued and remember why."""
        with self.db.atomic():
            self.db.execute(
                "update outbox set attempts = attempts + 1, last_error = ?, last_attempt_at = ? "
                "where run_id = ?", [error, self._now(), run_id])

    @guarded
    def state(self, key: str, default: str | None = None) -> str | None:
        """A value kept between syncs, such as the hub's feedback cursor."""
        rows = list(self.db["sync_state"].rows_where("key = ?", [key]))
        return rows[0]["value"] if rows else default

    @guarded
    def set_state(self, key: str, value: str) -> None:
        with self.db.atomic():
            self.db["sync_state"].upsert({"key": key, "value": value}, pk="key")

    def close(self) -> None:
        """Close the file; the store cannot be used afterwards. Safe to call twice."""
        with contextlib.suppress(sqlite3.Error):
            self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


_RUN_COLUMNS = ("id, exercise, kind, status, score, max_score, seed, started_at, duration_ms, url, "
                "server")


def _summary(row: dict[str, Any]) -> RunSummary:
    return RunSummary(
        id=row["id"], exercise=row["exercise"], kind=row["kind"], status=row["status"],
        score=row["score"], max_score=row["max_score"], seed=row["seed"],
        started_at=datetime.fromisoformat(row["started_at"]), duration_ms=row["duration_ms"],
        url=row["url"], server=row["server"],
    )
