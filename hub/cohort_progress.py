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


def cohort_progress(store: HubStore, course: Course, now: datetime, idle: timedelta = IDLE,
                    repeat: int = REPEAT) -> CohortProgress:
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
    return CohortProgress(idle_days=idle.days, repeat_runs=repeat, exercises=exercises,
                          stuck=sorted(stuck, key=lambda s: (s.last_run_at, s.learner)))


def stuck_learners(store: HubStore, now: datetime, idle: timedelta = IDLE,
                   repeat: int = REPEAT) -> list[StuckLearner]:
    """Every learner stuck on an exercise, as the module's docstring defines it."""
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
    return found


def _stopping_check(stuck: list[StuckLearner]) -> FailingCheck | None:
    counts = Counter(s.check_id for s in stuck if s.check_id)
    if not counts:
        return None
    check_id, failures = min(counts.items(), key=lambda item: (-item[1], item[0]))
    title = next(s.check_title for s in stuck if s.check_id == check_id) or check_id
    return FailingCheck(id=check_id, title=title, failures=failures,
                        fail_rate=round(failures / len(stuck), 4))
