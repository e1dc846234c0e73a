"""Stages group an exercise's checks into ordered steps: every check is in exactly one, and each
mistake in `[[stages]]` is one error naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from apilab import paths
from apilab.catalog.loader import load_course
from tests.helpers import exercise_file, load_error, write_course

STAGES = '''
[[stages]]
id = "reach"
title = "Answer GET /ping"
checks = ["ping"]

[[stages]]
id = "methods"
title = "Refuse other methods"
checks = ["ping-allow"]
'''


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = write_course(tmp_path)
    with exercise_file(root).open("a", encoding="utf-8") as file:
        file.write(STAGES)
    return root


def test_stages_load_in_order_with_their_checks(course):
    exercise = load_course(course).exercise("ex-one")
    assert [(s.id, s.title, s.checks) for s in exercise.stages] == [
        ("reach", "Answer GET /ping", ["ping"]), ("methods", "Refuse other methods", ["ping-allow"])]
    assert exercise.stage_of("ping-allow").id == "methods"


def test_an_exercise_without_stages_has_one_holding_every_check(course):
    exercise = load_course(course).exercise("ex-two")
    assert [(s.id, s.checks) for s in exercise.stages] == [("all", ["ping", "ping-allow"])]


def test_an_unknown_check_is_refused_with_the_closest_id(course):
    text = exercise_file(course).read_text().replace('checks = ["ping-allow"]', 'checks = ["ping-alow"]')
    exercise_file(course).write_text(text)
    error = load_error(course)
    assert error.key == "stages[1].checks[0]"
    assert "no check 'ping-alow'" in error.problem and "did you mean 'ping-allow'?" in error.problem


def test_a_check_in_two_stages_is_refused(course):
    text = exercise_file(course).read_text()
    both = text.replace('checks = ["ping-allow"]', 'checks = ["ping", "ping-allow"]')
    exercise_file(course).write_text(both)
    error = load_error(course)
    assert error.key == "stages[1].checks[0]" and "already in stage 'reach'" in error.problem


def test_a_check_left_out_is_named(course):
    text = exercise_file(course).read_text()
    exercise_file(course).write_text(text[:text.index("[[stages]]\nid = \"methods\"")])
    error = load_error(course)
    assert error.key == "stages" and "ping-allow is in no stage" in error.problem


def test_two_stages_with_one_id(course):
    text = exercise_file(course).read_text().replace('id = "methods"', 'id = "reach"')
    exercise_file(course).write_text(text)
    error = load_error(course)
    assert error.key == "stages[1].id" and "duplicate stage id 'reach'" in error.problem


def test_an_empty_stage_is_refused(course):
    text = exercise_file(course).read_text().replace('checks = ["ping-allow"]', "")
    exercise_file(course).write_text(text)
    error = load_error(course)
    assert error.key == "stages[1]" and "a stage needs `checks`" in error.problem


def test_a_stage_includes_only_an_included_exercise(course):
    text = exercise_file(course).read_text().replace('checks = ["ping"]', 'includes = ["ex-two"]')
    exercise_file(course).write_text(text)
    error = load_error(course)
    assert error.key == "stages[0].includes[0]" and "'ex-two' is not an exercise this one includes" \
        in error.problem


def test_every_exercise_of_the_course_is_staged():
    """The course's own exercises name their stages: none falls back to one stage of everything,
    and the checks a submission adds (hidden) and the contract probes are in a stage like any."""
    course = load_course(paths.CHECKOUT)
    for exercise in course.ordered_exercises():
        assert len(exercise.stages) > 2, exercise.slug
        staged = [check_id for stage in exercise.stages for check_id in stage.checks]
        assert sorted(staged) == sorted(check.id for check in exercise.checks), exercise.slug
    v2 = course.exercise("reading-list-v2")
    assert v2.stages[0].checks == [check.id for check in v2.checks if check.id.startswith("v1-")]
