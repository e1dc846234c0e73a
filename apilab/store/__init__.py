"""The progress store: one SQLite file with every run's report, notebook runs and mentor feedback.

This is the only module that writes SQL. The schema grows through sqlite-utils' named
migrations, applied once each, in a transaction. Every sqlite3 failure a learner could meet
(a damaged file, a read-only folder, a full disk) becomes a `StoreError` that says what to do.

    store = Store.open_default()
    run_id = store.record_run(report)
    store.progress()["reading-list"].status  # "passed"
"""

from apilab.store.database import Store
from apilab.store.errors import StoreError
from apilab.store.records import ExerciseProgress, Feedback, OutboxItem, RunKind, RunSummary

__all__ = ["ExerciseProgress", "Feedback", "OutboxItem", "RunKind", "RunSummary", "Store",
           "StoreError"]
