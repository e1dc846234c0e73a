"""The cohort at a glance: per exercise of the course, how many learners started, passed and
were approved, and who is stuck, with the check that stops them most.

A learner is stuck on an exercise they have neither passed nor had approved when either
- they have sent nothing for it in `idle` (a week by default): they may have given up; or
- the same check failed in each of their last `repeat` runs: they keep trying and do not
  see why.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from apilab.catalog.models import Course
from hub.protocol import CohortExercise, CohortProgress, FailingCheck, StuckLearner
from hub.store import HubStore

IDLE = timedelta(days=7)
REPEAT = 3
StuckKey = tuple[str, str, str]  # (last_run_at, learner, exercise): where a page of them ends


def cohort_progress(store: HubStore, course: Course, now: datetime, first_page: int,
                    idle: timedelta = IDLE, repeat: int = REPEAT,
                    ) -> tuple[CohortProgress, StuckKey | None]:
    """The counts per exercise, with the first `first_page` stuck learners; and the key the
    next page of them starts after (None when that was all)."""
    stuck = stuck_learners(store, now, idle, repeat)
    tallies = store.exercise_tallies()
    by_exercise: dict[str, list[StuckLearner]] = defaultdict(list)
    for learner in stuck:
        by_exercise[learner.exercise].append(learner)
    exercises = []
    for lesson in course.lessons:
        for exercise in course.exercises_of(lesson):
            started, passed, approved = tallies.get(exercise.slug, (0, 0, 0))
            blocked = by_exercise.get(exercise.slug, [])
            exercises.append(CohortExercise(
                lesson=lesson.slug, exercise=exercise.slug, title=exercise.title,
                started=started, passed=passed, approved=approved, stuck=len(blocked),
                stopping_check=_stopping_check(blocked)))
    first, more = page_of(stuck, None, first_page)
    return CohortProgress(idle_days=idle.days, repeat_runs=repeat, exercises=exercises,
                          stuck=first, stuck_count=len(stuck), stuck_next_cursor=None), more


def stuck_order(learner: StuckLearner) -> StuckKey:
    """Longest idle first; ties by learner, then exercise (so a page ends at a unique key)."""
    return learner.last_run_at, learner.learner, learner.exercise


def page_of(stuck: list[StuckLearner], after: StuckKey | None, limit: int,
            ) -> tuple[list[StuckLearner], StuckKey | None]:
    """Up to `limit` of `stuck` (in stuck order) after the key `after`, and the key the next
    page starts after (None on the last page). Keys, not offsets: a learner who stops being
    stuck between two pages moves nobody else."""
    rest = [learner for learner in stuck if after is None or stuck_order(learner) > after]
    page = rest[:limit]
    return page, stuck_order(page[-1]) if len(rest) > limit else None


def stuck_learners(store: HubStore, now: datetime, idle: timedelta = IDLE,
                   repeat: int = REPEAT) -> list[StuckLearner]:
    """Every learner stuck on an exercise, as the module's docstring defines it, in stuck
    order."""
    attempts: dict[tuple[str, str], dict[int, dict[str, str]]] = defaultdict(dict)
    facts: dict[tuple[str, str], tuple[int, str]] = {}
    for learner, exercise, runs, rank, created_at, check_id, title in (
            store.unfinished_attempts(repeat)):
        failed = attempts[learner, exercise].setdefault(rank, {})
        if check_id is not None:
            failed[str(check_id)] = str(title)
        if rank == 1:
            facts[learner, exercise] = (runs, created_at)
    found = []
    for (learner, exercise), by_rank in attempts.items():
        runs, last = facts[learner, exercise]
        latest = by_rank.get(1, {})
        always = set(latest).intersection(*(by_rank[r] for r in by_rank)) if len(by_rank) >= repeat \
            else set()
        why = "repeating" if always else (
            "idle" if now - datetime.fromisoformat(last) >= idle else None)
        if why is None:
            continue
        check = next((cid for cid in latest if cid in always), None) if always else next(
            iter(latest), None)
        found.append(StuckLearner(learner=learner, exercise=exercise, why=why, runs=runs,
                                  last_run_at=last, check_id=check,
                                  check_title=latest.get(check) if check else None))
    return sorted(found, key=stuck_order)


def _stopping_check(stuck: list[StuckLearner]) -> FailingCheck | None:
    counts = Counter(s.check_id for s in stuck if s.check_id)
    if not counts:
        return None
    check_id, failures = min(counts.items(), key=lambda item: (-item[1], item[0]))
    title = next(s.check_title for s in stuck if s.check_id == check_id) or check_id
    return FailingCheck(id=check_id, title=title, failures=failures,
                        fail_rate=round(failures / len(stuck), 4))
