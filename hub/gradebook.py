"""The gradebook: one row per learner, a group of columns per exercise (the best submission's
score and maximum, the mentor's verdict and override, its date), as CSV or JSON.

It is produced a page of learners at a time and written as it goes, so a cohort of thousands
exports in constant memory, over HTTP (`GET /v1/cohort/gradebook`) as from the command line
(`apilab hub gradebook`).

The CSV is what spreadsheets expect (RFC 4180): a header row, one learner per line, CRLF line
ends, UTF-8. A learner with no submission of an exercise has empty cells there.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from apilab.catalog.models import Course
from hub.records import Submission
from hub.store import HubStore

PAGE = 500  # learners read at once
FIELDS = ("score", "max_score", "verdict", "override", "date")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8; header=present"


@dataclass(frozen=True)
class Row:
    learner: str
    best: dict[str, Submission]  # exercise slug -> the learner's best submission of it


def columns(course: Course, asked: Sequence[str] = ()) -> list[str]:
    """The exercises the gradebook shows: the course's, in its order, or only those `asked`.
    ValueError naming any that the course does not have."""
    known = [exercise.slug for exercise in course.ordered_exercises()]
    unknown = [slug for slug in asked if slug not in known]
    if unknown:
        raise ValueError(f"no exercise {', '.join(unknown)} in the course; known: "
                         f"{', '.join(known)}")
    return [slug for slug in known if slug in asked] if asked else known


def rows(store: HubStore, exercises: Sequence[str], page: int = PAGE) -> Iterator[Row]:
    """Every learner, in order of name, with their best submission of each exercise."""
    after: str | None = None
    while learners := store.learners(after=after, limit=page):
        best: dict[int, dict[str, Submission]] = {}
        for submission in store.best_submissions([u.id for u in learners], exercises):
            best.setdefault(submission.learner_id, {})[submission.exercise] = submission
        for learner in learners:
            yield Row(learner.name, best.get(learner.id, {}))
        after = learners[-1].name


def header(exercises: Sequence[str]) -> list[str]:
    return ["learner", *(f"{slug} {field}" for slug in exercises for field in FIELDS)]


def cells(row: Row, exercises: Sequence[str]) -> list[str | int | None]:
    """The row's values, in the order of `header`."""
    values: list[str | int | None] = [row.learner]
    for slug in exercises:
        found = row.best.get(slug)
        values += ([found.score, found.max_score, found.verdict, found.score_override,
                    found.created_at] if found else [None] * len(FIELDS))
    return values


def as_csv(store: HubStore, exercises: Sequence[str]) -> Iterator[str]:
    """The gradebook as CSV text, a line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # CRLF line ends, quoting only where needed: RFC 4180
    writer.writerow(header(exercises))
    for row in rows(store, exercises):
        writer.writerow(cells(row, exercises))
        if buffer.tell() > 64_000:
            yield _drain(buffer)
    yield _drain(buffer)


def as_json(store: HubStore, exercises: Sequence[str]) -> Iterator[str]:
    """The gradebook as one JSON object, `{"exercises": [...], "learners": [...]}`, each
    learner `{"learner": name, "exercises": {slug: {score, max_score, verdict, override,
    date}}}`, written a learner at a time."""
    yield f'{{"exercises": {json.dumps(list(exercises))}, "learners": ['
    for number, row in enumerate(rows(store, exercises)):
        values = cells(row, exercises)[1:]
        per_exercise = {slug: dict(zip(FIELDS, values[i * len(FIELDS):(i + 1) * len(FIELDS)],
                                       strict=True))
                        for i, slug in enumerate(exercises) if slug in row.best}
        item = json.dumps({"learner": row.learner, "exercises": per_exercise}, ensure_ascii=False)
        yield ("\n" if number == 0 else ",\n") + item
    yield "\n]}\n"


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
