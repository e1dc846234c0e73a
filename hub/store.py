"""The hub's data: users and their token hashes, submissions with their full reports, feedback
and reviews. This is the only module of the hub that holds SQL.

One SQLite connection serves every thread, guarded by a lock. That is what a `:memory:` database
needs (each new connection to `:memory:` would be a different, empty database) and it keeps the
file-backed hub simple: SQLite runs one writer at a time anyway. The schema grows through
sqlite-utils migrations, each applied once, in its own transaction.

    store = HubStore(Path("hub.db"))
    user = store.add_user("ada", "learner", token_hash)
    outcome, submission = store.put_submission(user, submission_id, "submit", report)

A hub's database is created `0600` (it holds token hashes and every learner's reports), and only
when asked (`create=True`): an administration command aimed at a mistyped path says so instead
of making an empty hub and reporting success.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from apilab.migrations import applied, upgrade
from apilab.paths import create_private
from grader.report import Report
from hub.records import (
    FeedbackItem,
    PutOutcome,
    Quota,
    ReviewOutcome,
    Role,
    Submission,
    SubmissionFilter,
    User,
    UserInfo,
    Verdict,
)
from hub.settings import MEMORY

Clock = Callable[[], datetime]


class HubStoreError(Exception):
    """A request the data cannot honour (a duplicate user name, an unknown user), or a database
    that cannot be used (missing, read-only, damaged, served by another hub); the message says
    what to do."""


# --- migrations ---------------------------------------------------------------------------------
# sqlite-utils migrations, in the set "hub". Plain DDL, because sqlite-utils' create() cannot say
# AUTOINCREMENT or CHECK. Never edit or rename a shipped migration: its name is what marks it
# applied. Add a new one instead.

migrations = sqlite_utils.Migrations("hub")


@migrations()
def create_users(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('learner', 'mentor')),
        created_at TEXT NOT NULL)""")


@migrations()
def create_tokens(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT)""")


@migrations()
def create_submissions(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE submissions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        learner_id INTEGER NOT NULL REFERENCES users(id),
        exercise TEXT NOT NULL,
        exercise_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('check', 'submit')),
        status TEXT NOT NULL,
        score INTEGER NOT NULL,
        max_score INTEGER NOT NULL,
        report TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 0,
        verdict TEXT CHECK (verdict IN ('approved', 'changes_requested')),
        score_override INTEGER,
        override_reason TEXT,
        reviewed_by INTEGER REFERENCES users(id),
        reviewed_at TEXT)""")
    db.execute("CREATE INDEX submissions_learner ON submissions (learner_id, seq)")
    db.execute("CREATE INDEX submissions_exercise ON submissions (exercise, learner_id, seq)")


@migrations()
def create_feedback(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE feedback (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        submission_id TEXT NOT NULL REFERENCES submissions(id),
        learner_id INTEGER NOT NULL REFERENCES users(id),
        author_id INTEGER NOT NULL REFERENCES users(id),
        check_id TEXT,
        body TEXT NOT NULL,
        verdict TEXT,
        score_override INTEGER,
        reason TEXT,
        created_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX feedback_learner ON feedback (learner_id, seq)")
    db.execute("CREATE INDEX feedback_submission ON feedback (submission_id, seq)")


@migrations()
def add_report_bytes(db: sqlite_utils.Database) -> None:
    # What each report weighs, kept beside it, so a learner's storage quota is a cheap sum.
    db.execute("ALTER TABLE submissions ADD COLUMN report_bytes INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE submissions SET report_bytes = length(CAST(report AS BLOB))")
    db.execute("CREATE INDEX submissions_latest ON submissions (learner_id, exercise, seq)")


@migrations()
def create_certificates(db: sqlite_utils.Database) -> None:
    # The hub's Ed25519 signing key lives with its data: a backup of the database restores the
    # key that verifies the certificates it issued. A new key never replaces an old one.
    db.execute("""CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        private_key BLOB NOT NULL,
        created_at TEXT NOT NULL)""")
    db.execute("""CREATE TABLE certificates (
        id TEXT PRIMARY KEY,
        learner_id INTEGER NOT NULL REFERENCES users(id),
        document TEXT NOT NULL,
        issued_at TEXT NOT NULL)""")


@migrations()
def create_captures(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE captures (
        learner_id INTEGER NOT NULL REFERENCES users(id),
        challenge TEXT NOT NULL,
        category TEXT NOT NULL,
        captured_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, challenge))""")


_SUBMISSION_COLUMNS = """s.id, s.seq, s.learner_id, u.name AS learner, s.exercise, s.exercise_id,
    s.kind, s.status, s.score, s.max_score, s.content_hash, s.revision, s.created_at, s.verdict,
    s.score_override, s.override_reason, r.name AS reviewed_by, s.reviewed_at"""
_SUBMISSION_FROM = """FROM submissions s JOIN users u ON u.id = s.learner_id
    LEFT JOIN users r ON r.id = s.reviewed_by"""
_FEEDBACK_SELECT = """SELECT f.id, f.seq, f.submission_id, f.learner_id, l.name AS learner,
    s.exercise, a.name AS author, f.check_id, f.body, f.verdict, f.score_override, f.reason,
    f.created_at
    FROM feedback f JOIN submissions s ON s.id = f.submission_id
    JOIN users l ON l.id = f.learner_id JOIN users a ON a.id = f.author_id"""


def content_hash(kind: str, report_json: str) -> str:
    return hashlib.sha256(f"{kind}\n{report_json}".encode()).hexdigest()


class HubStore:
    """The hub's database at `path` (a file, or ":memory:"), safe to share between threads."""

    def __init__(self, path: Path | str, clock: Clock | None = None, *,
                 create: bool = True) -> None:
        """Open the hub's database at `path` and bring its schema up to date. Without `create`,
        a missing file is a HubStoreError instead of a new, empty hub."""
        self.path = path
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._serving: int | None = None  # the descriptor that holds the serving lock
        if str(path) != MEMORY:
            _prepare_file(Path(path), create)
        try:
            conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        except sqlite3.Error as exc:
            raise _explain(path, exc) from None
        self.db = sqlite_utils.Database(conn)
        try:
            if str(path) != MEMORY:
                self.db.enable_wal()
            # FULL, not NORMAL: a learner's outbox forgets a submission once the hub said 201,
            # so a commit must survive a power cut, not only a crash of this process.
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.applied = upgrade(self.db, migrations)
        except sqlite3.Error as exc:
            conn.close()
            raise _explain(path, exc) from None
        except BaseException:
            conn.close()
            raise

    def claim_for_serving(self) -> None:
        """Take the file for this process's hub: a second hub on the same file would answer
        500s as the two fight over it, so it refuses to start instead (HubStoreError). The
        administration commands do not claim: they work beside a serving hub."""
        if str(self.path) == MEMORY or self._serving is not None:
            return
        import fcntl

        handle = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(handle)
            raise HubStoreError(f"another hub is already serving {self.path}; stop it first, "
                                "or serve another file with --db") from None
        self._serving = handle

    def _now(self) -> str:
        return self._iso(self._clock())

    @staticmethod
    def _iso(moment: datetime) -> str:
        # one fixed format, so that comparing the text compares the times
        return moment.astimezone(UTC).isoformat(timespec="microseconds")

    @contextmanager
    def _locked(self) -> Iterator[sqlite_utils.Database]:
        with self._lock:
            yield self.db

    def close(self) -> None:
        with self._lock:
            self.db.close()
            if self._serving is not None:
                os.close(self._serving)  # and with it the serving lock
                self._serving = None

    def backup(self, destination: Path) -> None:
        """A consistent copy of the whole database at `destination` (0600), taken while the hub
        runs. It is written under a temporary name and renamed when complete, so a backup that
        is interrupted never leaves a file under the name you asked for.

        SQLite's online backup reads a snapshot, so submissions arriving meanwhile are either
        wholly in the copy or wholly not; copying the file by hand could catch half a write.
        """
        partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
        try:
            partial.unlink(missing_ok=True)
            create_private(partial)
            with self._locked(), contextlib.closing(sqlite3.connect(str(partial))) as target:
                self.db.conn.backup(target)
            os.replace(partial, destination)
        except (OSError, sqlite3.Error) as exc:
            partial.unlink(missing_ok=True)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise HubStoreError(f"could not write the backup {destination}: {reason}") from None

    def journal_mode(self) -> str:
        with self._locked() as db:
            return db.execute("PRAGMA journal_mode").fetchone()[0]

    def migrations(self) -> list[str]:
        with self._locked() as db:
            return applied(db, migrations)

    # --- users and tokens -----------------------------------------------------------------------

    def add_user(self, name: str, role: Role, token_hash: str) -> User:
        """Create a user with one token, given only its hash. Raises HubStoreError if the name
        is taken."""
        with self._locked() as db, db.atomic():
            if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
                raise HubStoreError(f"a user named {name!r} already exists")
            now = self._now()
            cursor = db.execute("INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)",
                                [name, role, now])
            user = User(cursor.lastrowid, name, role)
            db.execute("INSERT INTO tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                       [user.id, token_hash, now])
            return user

    def add_token(self, name: str, token_hash: str, revoke_others: bool = False) -> int:
        """Give an existing user a new token; with `revoke_others`, in the same transaction,
        revoke every other one (a lost laptop). Returns how many were revoked."""
        with self._locked() as db, db.atomic():
            user = self._user_named(name)
            now = self._now()
            revoked = 0
            if revoke_others:
                revoked = db.execute(
                    "UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                    [now, user.id]).rowcount
            db.execute("INSERT INTO tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                       [user.id, token_hash, now])
            return revoked

    def revoke(self, name: str) -> int:
        """Revoke every active token of `name`; return how many were active."""
        with self._locked() as db, db.atomic():
            user = self._user_named(name)
            cursor = db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                [self._now(), user.id])
            return cursor.rowcount

    def _user_named(self, name: str) -> User:
        row = self.db.execute("SELECT id, name, role FROM users WHERE name = ?", [name]).fetchone()
        if row is None:
            raise HubStoreError(f"there is no user named {name!r}; `apilab hub users` lists them")
        return User(*row)

    def user_for_token(self, token_hash: str) -> User | None:
        """The user holding the active (not revoked) token with this hash, if any."""
        with self._locked() as db:
            row = db.execute(
                """SELECT u.id, u.name, u.role FROM tokens t JOIN users u ON u.id = t.user_id
                   WHERE t.token_hash = ? AND t.revoked_at IS NULL""", [token_hash]).fetchone()
        return User(*row) if row else None

    def users(self) -> list[UserInfo]:
        with self._locked() as db:
            rows = db.execute(
                """SELECT u.name, u.role, u.created_at,
                          COUNT(t.id) FILTER (WHERE t.revoked_at IS NULL),
                          COUNT(t.id) FILTER (WHERE t.revoked_at IS NOT NULL)
                   FROM users u LEFT JOIN tokens t ON t.user_id = u.id
                   GROUP BY u.id ORDER BY u.name""").fetchall()
        return [UserInfo(*row) for row in rows]

    # --- submissions ----------------------------------------------------------------------------

    def put_submission(self, learner: User, submission_id: str, kind: str, report: Report,
                       report_json: str | None = None, quota: Quota | None = None,
                       ) -> tuple[PutOutcome, Submission | None]:
        """Store a submission under its client-chosen id, once, keeping `report_json` (the
        report's text as received; by default `report` as JSON) byte for byte. Sending the same
        id again with the same content changes nothing (UNCHANGED); with other content it is a
        CONFLICT; an id that another learner holds is NOT_YOURS (and nothing about it is
        returned). A new submission beyond the learner's `quota` is OVER_QUOTA or OVER_RATE."""
        report_json = report_json if report_json is not None else report.to_json(indent=None)
        size = len(report_json.encode())
        digest = content_hash(kind, report_json)
        with self._locked() as db:
            existing = self._submission(submission_id)
            if existing is not None:
                if existing.learner_id != learner.id:
                    return PutOutcome.NOT_YOURS, None
                if existing.content_hash != digest:
                    return PutOutcome.CONFLICT, existing
                return PutOutcome.UNCHANGED, existing
            if quota is not None:
                refused = self._over_quota(learner.id, size, quota)
                if refused is not None:
                    return refused, None
            with db.atomic():
                db.execute(
                    """INSERT INTO submissions (id, learner_id, exercise, exercise_id, kind, status,
                       score, max_score, report, report_bytes, content_hash, created_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [submission_id, learner.id, report.exercise, report.exercise_id, kind,
                     report.status, report.score, report.max_score, report_json, size, digest,
                     self._now()])
            return PutOutcome.CREATED, self._submission(submission_id)

    def _over_quota(self, learner_id: int, size: int, quota: Quota) -> PutOutcome | None:
        hour_ago = self._iso(self._clock() - timedelta(hours=1))
        total, recent = self.db.execute(
            """SELECT COALESCE(SUM(report_bytes), 0),
                      COALESCE(SUM(report_bytes) FILTER (WHERE created_at > ?), 0)
               FROM submissions WHERE learner_id = ?""", [hour_ago, learner_id]).fetchone()
        if total + size > quota.total_bytes:
            return PutOutcome.OVER_QUOTA
        if recent + size > quota.hour_bytes:
            return PutOutcome.OVER_RATE
        return None

    def retry_upload_after(self, learner: User, size: int, hour_bytes: int) -> int:
        """Seconds until `size` more bytes fit in `learner`'s hourly budget: until enough of the
        last hour's submissions are an hour old."""
        now = self._clock()
        with self._locked() as db:
            rows = db.execute(
                """SELECT created_at, report_bytes FROM submissions
                   WHERE learner_id = ? AND created_at > ? ORDER BY created_at""",
                [learner.id, self._iso(now - timedelta(hours=1))]).fetchall()
        held = sum(weight for _when, weight in rows)
        for when, weight in rows:
            held -= weight
            if held + size <= hour_bytes:
                freed = datetime.fromisoformat(when) + timedelta(hours=1) - now
                return max(1, int(freed.total_seconds()) + 1)
        return 3600

    def submission(self, submission_id: str, with_report: bool = False) -> Submission | None:
        with self._locked():
            return self._submission(submission_id, with_report)

    def _submission(self, submission_id: str, with_report: bool = False) -> Submission | None:
        columns = _SUBMISSION_COLUMNS + (", s.report" if with_report else "")
        rows = list(self.db.query(f"SELECT {columns} {_SUBMISSION_FROM} WHERE s.id = ?",
                                  [submission_id]))
        return _submission(rows[0]) if rows else None

    def submissions(self, filters: SubmissionFilter, before_seq: int | None = None,
                    limit: int = 20) -> list[Submission]:
        """Submissions matching `filters`, newest first, starting below `before_seq`."""
        where, params = [], []
        for column, value in (("s.exercise", filters.exercise), ("u.name", filters.learner),
                              ("s.status", filters.status), ("s.kind", filters.kind)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if filters.review == "awaiting":
            where.append("s.verdict IS NULL")
        elif filters.review is not None:
            where.append("s.verdict = ?")
            params.append(filters.review)
        if filters.latest:  # each learner's latest of each exercise (of the kind asked for)
            kind = "WHERE kind = ?" if filters.kind else ""
            where.append(f"""s.seq IN (SELECT MAX(seq) FROM submissions {kind}
                                       GROUP BY learner_id, exercise)""")
            params += [filters.kind] if filters.kind else []
        if before_seq is not None:
            where.append("s.seq < ?")
            params.append(before_seq)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        sql = (f"SELECT {_SUBMISSION_COLUMNS} {_SUBMISSION_FROM} {clause} "
               "ORDER BY s.seq DESC LIMIT ?")
        with self._locked() as db:
            return [_submission(row) for row in db.query(sql, [*params, limit])]

    def count_submissions(self) -> int:
        with self._locked() as db:
            return db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]

    def latest_reports(self, exercise: str, kind: str | None = None) -> list[str]:
        """The report JSON of each learner's latest submission of `exercise`."""
        kind_clause = "AND kind = ?" if kind else ""
        params = [exercise, kind] if kind else [exercise]
        with self._locked() as db:
            rows = db.execute(
                f"""SELECT s.report FROM submissions s JOIN (
                        SELECT MAX(seq) AS seq FROM submissions
                        WHERE exercise = ? {kind_clause} GROUP BY learner_id) latest
                    ON latest.seq = s.seq ORDER BY s.seq""", params).fetchall()
        return [row[0] for row in rows]

    # --- best submissions, learners, certificates -----------------------------------------------

    def best_submissions(self, learner_ids: Sequence[int], exercises: Sequence[str] | None = None,
                         approved_only: bool = False) -> list[Submission]:
        """Each of these learners' best submission of each exercise (of `exercises`, if given;
        among approved ones only, with `approved_only`), ordered by learner name and exercise.

        Best is the highest share of its maximum, the mentor's override counting; then an
        approved one; then the latest. This is the hub's one rule for "a learner's result on an
        exercise": the gradebook and certificates both come from it."""
        if not learner_ids:
            return []
        where = [f"learner_id IN ({', '.join('?' * len(learner_ids))})"]
        params: list[Any] = list(learner_ids)
        if exercises is not None:
            where.append(f"exercise IN ({', '.join('?' * len(exercises))})")
            params += list(exercises)
        if approved_only:
            where.append("verdict = 'approved'")
        sql = f"""SELECT {_SUBMISSION_COLUMNS} FROM (
                SELECT seq, ROW_NUMBER() OVER (PARTITION BY learner_id, exercise ORDER BY
                    CAST(COALESCE(score_override, score) AS REAL) / MAX(max_score, 1) DESC,
                    COALESCE(verdict = 'approved', 0) DESC, seq DESC) AS rank
                FROM submissions WHERE {' AND '.join(where)}) best
            JOIN submissions s ON s.seq = best.seq AND best.rank = 1
            JOIN users u ON u.id = s.learner_id LEFT JOIN users r ON r.id = s.reviewed_by
            ORDER BY u.name, s.exercise"""
        with self._locked() as db:
            return [_submission(row) for row in db.query(sql, params)]

    def exercise_tallies(self) -> dict[str, tuple[int, int, int]]:
        """Per exercise: how many learners submitted it, had a run pass, had one approved."""
        with self._locked() as db:
            rows = db.execute(
                """SELECT exercise, COUNT(DISTINCT learner_id),
                          COUNT(DISTINCT learner_id) FILTER (WHERE status = 'pass'),
                          COUNT(DISTINCT learner_id) FILTER (WHERE verdict = 'approved')
                   FROM submissions GROUP BY exercise""").fetchall()
        return {exercise: (started, passed, approved)
                for exercise, started, passed, approved in rows}

    def unfinished_attempts(self, recent: int) -> list[tuple[str, str, int, int, str,
                                                             str | None, str | None]]:
        """For each learner and exercise with no passing run and no approval yet, their last
        `recent` submissions, newest first, each with the checks it failed: rows of (learner,
        exercise, runs in all, rank from 1 = latest, created_at, failed check id, its title),
        one per failed check (a run that failed none has one row, with None). The failed
        checks come out of the stored reports by SQLite's JSON functions, so no report is
        loaded whole."""
        with self._locked() as db:
            return [tuple(row) for row in db.execute(
                """WITH done AS (SELECT DISTINCT learner_id, exercise FROM submissions
                                 WHERE status = 'pass' OR verdict = 'approved'),
                   ranked AS (
                     SELECT s.seq, s.learner_id, s.exercise, s.created_at,
                            ROW_NUMBER() OVER (PARTITION BY s.learner_id, s.exercise
                                               ORDER BY s.seq DESC) AS rank,
                            COUNT(*) OVER (PARTITION BY s.learner_id, s.exercise) AS runs
                     FROM submissions s WHERE NOT EXISTS (
                       SELECT 1 FROM done d WHERE d.learner_id = s.learner_id
                                              AND d.exercise = s.exercise))
                   SELECT u.name, r.exercise, r.runs, r.rank, r.created_at,
                          json_extract(c.value, '$.id'), json_extract(c.value, '$.title')
                   FROM ranked r JOIN users u ON u.id = r.learner_id
                   JOIN submissions s ON s.seq = r.seq
                   LEFT JOIN json_each(s.report, '$.checks') c
                          ON json_extract(c.value, '$.status') = 'fail'
                   WHERE r.rank <= ? ORDER BY u.name, r.exercise, r.rank, c.key""",
                [recent]).fetchall()]

    def learners(self, after: str | None = None, limit: int = 500) -> list[User]:
        """Learners in order of name, the first `limit` after the name `after`: a cohort of
        any size is read a page at a time."""
        with self._locked() as db:
            rows = db.execute(
                """SELECT id, name, role FROM users WHERE role = 'learner' AND name > ?
                   ORDER BY name LIMIT ?""", [after or "", limit]).fetchall()
        return [User(*row) for row in rows]

    def user(self, name: str) -> User:
        """The user named `name`; HubStoreError if there is none."""
        with self._locked():
            return self._user_named(name)

    def signing_key(self) -> bytes:
        """The hub's Ed25519 private key (32 raw bytes), made on first use and kept."""
        from apilab.certificate.signing import new_private_key, public_jwk

        with self._locked() as db:
            row = db.execute("SELECT private_key FROM signing_keys ORDER BY created_at "
                             "DESC LIMIT 1").fetchone()
            if row is not None:
                return bytes(row[0])
            key = new_private_key()
            with db.atomic():
                db.execute("INSERT INTO signing_keys (kid, private_key, created_at) "
                           "VALUES (?, ?, ?)", [public_jwk(key)["kid"], key, self._now()])
            return key

    def add_certificate(self, certificate_id: str, learner: User, document: str,
                        issued_at: str) -> None:
        """Keep a signed certificate, exactly as issued, for third parties to check."""
        with self._locked() as db, db.atomic():
            db.execute("INSERT INTO certificates (id, learner_id, document, issued_at) "
                       "VALUES (?, ?, ?, ?)", [certificate_id, learner.id, document, issued_at])

    def certificate(self, certificate_id: str) -> str | None:
        """A certificate's signed document as issued, or None."""
        with self._locked() as db:
            row = db.execute("SELECT document FROM certificates WHERE id = ?",
                             [certificate_id]).fetchone()
        return row[0] if row else None

    def now(self) -> str:
        """The hub's clock, in the format it stores."""
        return self._now()

    # --- reviews and feedback -------------------------------------------------------------------

    def set_review(self, submission_id: str, mentor: User, verdict: Verdict,
                   score_override: int | None, reason: str | None, body: str = "",
                   precondition: Callable[[Submission], bool] | None = None,
                   ) -> tuple[ReviewOutcome, Submission | None]:
        """Record a mentor's verdict (and optional score override) on a submission. A change
        also appends a review item to the learner's feedback stream; repeating the latest
        review (verdict, override, reason and comment alike) changes nothing, so a resent PUT is
        harmless. `precondition` (an If-Match) is tested under the lock."""
        with self._locked() as db:
            current = self._submission(submission_id)
            if current is None:
                return ReviewOutcome.NOT_FOUND, None
            if precondition is not None and not precondition(current):
                return ReviewOutcome.PRECONDITION_FAILED, current
            last_body = db.execute(
                """SELECT body FROM feedback WHERE submission_id = ? AND verdict IS NOT NULL
                   ORDER BY seq DESC LIMIT 1""", [submission_id]).fetchone()
            if (current.verdict, current.score_override, current.override_reason,
                    last_body[0] if last_body else None) == (verdict, score_override, reason, body):
                return ReviewOutcome.UNCHANGED, current
            now = self._now()
            with db.atomic():
                db.execute(
                    """UPDATE submissions SET verdict = ?, score_override = ?, override_reason = ?,
                       reviewed_by = ?, reviewed_at = ?, revision = revision + 1 WHERE id = ?""",
                    [verdict, score_override, reason, mentor.id, now, submission_id])
                self._insert_feedback(current, mentor, body, None, verdict, score_override,
                                      reason, now)
            outcome = ReviewOutcome.CREATED if current.verdict is None else ReviewOutcome.UPDATED
            return outcome, self._submission(submission_id)

    def add_feedback(self, submission: Submission, author: User, body: str,
                     check_id: str | None = None) -> FeedbackItem:
        with self._locked() as db, db.atomic():
            feedback_id = self._insert_feedback(submission, author, body, check_id, None, None,
                                                None, self._now())
        found = self.feedback_item(feedback_id)
        assert found is not None
        return found

    def _insert_feedback(self, submission: Submission, author: User, body: str,
                         check_id: str | None, verdict: str | None, score_override: int | None,
                         reason: str | None, now: str) -> str:
        feedback_id = str(uuid.uuid4())
        self.db.execute(
            """INSERT INTO feedback (id, submission_id, learner_id, author_id, check_id, body,
               verdict, score_override, reason, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [feedback_id, submission.id, submission.learner_id, author.id, check_id, body,
             verdict, score_override, reason, now])
        return feedback_id

    def feedback_item(self, feedback_id: str) -> FeedbackItem | None:
        with self._locked() as db:
            rows = list(db.query(f"{_FEEDBACK_SELECT} WHERE f.id = ?", [feedback_id]))
        return FeedbackItem(**rows[0]) if rows else None

    def feedback_on(self, submission_id: str) -> list[FeedbackItem]:
        with self._locked() as db:
            rows = db.query(f"{_FEEDBACK_SELECT} WHERE f.submission_id = ? ORDER BY f.seq",
                            [submission_id])
            return [FeedbackItem(**row) for row in rows]

    def feedback_stream(self, learner_id: int | None, after_seq: int = 0,
                        since: datetime | None = None, limit: int = 100) -> list[FeedbackItem]:
        """Feedback items in the order they were written, after sequence number `after_seq`
        (and at or after the time `since`); only those on `learner_id`'s submissions if given."""
        where, params = ["f.seq > ?"], [after_seq]
        if learner_id is not None:
            where.append("f.learner_id = ?")
            params.append(learner_id)
        if since is not None:
            where.append("f.created_at >= ?")
            params.append(since.astimezone(UTC).isoformat(timespec="microseconds"))
        sql = f"{_FEEDBACK_SELECT} WHERE {' AND '.join(where)} ORDER BY f.seq LIMIT ?"
        with self._locked() as db:
            return [FeedbackItem(**row) for row in db.query(sql, [*params, limit])]

    # --- security lab captures --------------------------------------------------------------------

    def put_capture(self, learner: User, challenge: str, category: str,
                    captured_at: str) -> tuple[bool, dict[str, str]]:
        """Keep a learner's capture of a challenge, once: (True if new, the capture as kept)."""
        with self._locked() as db, db.atomic():
            created = db.execute(
                """INSERT INTO captures (learner_id, challenge, category, captured_at, received_at)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                [learner.id, challenge, category, captured_at, self._now()]).rowcount > 0
            row = db.execute(
                """SELECT u.name, c.challenge, c.category, c.captured_at, c.received_at
                   FROM captures c JOIN users u ON u.id = c.learner_id
                   WHERE c.learner_id = ? AND c.challenge = ?""", [learner.id, challenge]).fetchone()
        return created, _capture(row)

    def captures(self, learner_id: int | None = None) -> list[dict[str, str]]:
        """Captures of one learner, or of everyone (None), by learner name then time."""
        where, args = ("WHERE c.learner_id = ?", [learner_id]) if learner_id is not None else ("", [])
        with self._locked() as db:
            rows = db.execute(
                f"""SELECT u.name, c.challenge, c.category, c.captured_at, c.received_at
                    FROM captures c JOIN users u ON u.id = c.learner_id {where}
                    ORDER BY u.name, c.captured_at, c.challenge""", args).fetchall()
        return [_capture(row) for row in rows]


def _capture(row: Any) -> dict[str, str]:
    return dict(zip(("learner", "challenge", "category", "captured_at", "received_at"), row,
                    strict=True))


def _prepare_file(path: Path, create: bool) -> None:
    if path.exists():
        return
    if not create:
        raise HubStoreError(f"there is no hub database at {path}. Check the path; a new hub "
                            f"is created by apilab hub init --db {path} (or hub serve)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
    except OSError as exc:
        raise HubStoreError(f"cannot create the hub database {path}: {exc.strerror or exc}. "
                            "Choose a folder you can write to with --db") from None


def _explain(path: Path | str, exc: sqlite3.Error) -> HubStoreError:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        advice = ("it or its folder is read-only (SQLite also writes beside it: hub.db-wal, "
                  "hub.db-shm). Make them writable, or choose another folder with --db")
    elif "locked" in text or "busy" in text:
        advice = "another process holds it; try again in a moment"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        advice = "it is not a hub database, or it is damaged; restore a backup"
    elif "disk is full" in text or "disk i/o" in text:
        advice = "the disk is full or failing; free some space"
    else:
        advice = "this looks like a bug in apilab; please report it"
    return HubStoreError(f"cannot use the hub database {path} ({exc}): {advice}")


def _submission(row: dict[str, Any]) -> Submission:
    data = dict(row)
    report_json = data.pop("report", None)
    return Submission(**data, report_json=report_json)
