"""The course loader turns each kind of authoring mistake into one clear error naming the file
and the key. Every test writes a tiny course in a temporary folder and breaks one thing in it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from apilab.catalog.loader import load_course, load_exercise
from tests.helpers import TINY_IDS, exercise_file, load_error, write_course


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the fixture has no {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return write_course(tmp_path)


def test_the_fixture_course_loads(course):
    loaded = load_course(course)
    assert [e.slug for e in loaded.ordered_exercises()] == ["ex-one", "ex-two"]
    one = loaded.exercise("1")
    assert one.points == one.max_score == 3
    assert [m.name for m in one.mutants] == ["pong-false"]
    assert load_exercise(course / "exercises" / "ex-two").slug == "ex-two"


def test_unknown_top_level_key(course):
    edit(exercise_file(course), 'title = "Ping"', 'titel = "Ping"\ntitle = "Ping"')
    error = load_error(course)
    assert error.path == exercise_file(course) and error.key == "titel"
    assert "exercise.toml: titel: unknown key" in str(error)


def test_unknown_key_nested_in_a_step(course):
    edit(exercise_file(course), "expect.status = 200", "expect.stauts = 200")
    error = load_error(course)
    assert error.key == "checks[0].steps[0].expect.stauts"
    assert "exercise.toml" in str(error) and "unknown key" in str(error)


def test_unknown_key_inside_a_matcher(course):
    edit(exercise_file(course), 'expect.json."$.pong" = true',
         'expect.json."$.pong" = { equal = true }')
    error = load_error(course)
    assert error.key == "checks[0].steps[0].expect.json.$.pong.equal"


def test_missing_required_field(course):
    edit(exercise_file(course), 'why = "RFC 9110 §9.3.1: GET retrieves the resource"\n', "")
    error = load_error(course)
    assert error.key == "checks[0].why" and "required key is missing" in error.problem


def test_unknown_check_name_in_use(course):
    edit(exercise_file(course), 'use = "allow-header"', 'use = "allow-headers"')
    error = load_error(course)
    assert error.path == exercise_file(course) and error.key == "checks[1].use"
    assert "unknown check 'allow-headers'" in error.problem and "allow-header," in error.problem


def test_bad_parameter_in_with(course):
    edit(exercise_file(course), 'path = "/ping", method', 'pth = "/ping", method')
    error = load_error(course)
    assert error.key == "checks[1].with.pth" and "unknown key" in error.problem
    assert "exercise.toml: checks[1].with.pth: unknown key" in str(error)


def test_missing_parameter_in_with(course):
    edit(exercise_file(course), ', allowed = ["GET", "HEAD"]', "")
    error = load_error(course)
    assert error.key == "checks[1].with.allowed" and "required key is missing" in error.problem


def test_duplicate_check_id(course):
    edit(exercise_file(course), 'id = "ping-allow"', 'id = "ping"')
    error = load_error(course)
    assert error.key == "checks[1].id" and "duplicate id 'ping'" in error.problem


def test_duplicate_exercise_slug_in_course_toml(tmp_path):
    root = write_course(tmp_path, exercises=("ex-one",), listed=("ex-one", "ex-one"))
    error = load_error(root)
    assert error.path.name == "course.toml" and error.key == "lessons[0].exercises"
    assert "'ex-one' is listed twice" in error.problem


def test_duplicate_exercise_id_across_two_exercises(course):
    edit(exercise_file(course, "ex-two"), TINY_IDS["ex-two"], TINY_IDS["ex-one"])
    error = load_error(course)
    assert error.path == exercise_file(course, "ex-two") and error.key == "id"
    assert "ex-one" in error.problem and "unique" in error.problem


def test_mutant_find_text_not_found(course):
    mutant = course / "exercises" / "ex-one" / "mutants" / "pong-false.toml"
    edit(mutant, 'find = \'return {"pong": True}\'', 'find = \'return {"ping": True}\'')
    error = load_error(course)
    assert error.path == mutant and error.key == "edits[0].find"
    assert "occurs 0 times in solution/app.py" in error.problem


def test_mutant_caught_by_an_unknown_check(course):
    mutant = course / "exercises" / "ex-two" / "mutants" / "pong-false.toml"
    edit(mutant, 'caught_by = ["ping"]', 'caught_by = ["ping", "pong"]')
    error = load_error(course)
    assert error.path == mutant and error.key == "caught_by[1]"
    assert "no check 'pong' in ex-two" in error.problem


def test_invalid_toml(course):
    edit(exercise_file(course), 'points = 3', 'points = = 3')
    error = load_error(course)
    assert error.path == exercise_file(course) and error.key is None
    assert "not valid TOML" in error.problem and "line 5" in error.problem


def test_points_must_add_up(course):
    edit(exercise_file(course), "points = 3", "points = 4")
    error = load_error(course)
    assert error.key == "points" and "add up to 3" in error.problem


# --- typed parameters, run fixtures, services, JSON paths ----------------------------------------

FIXTURES = '''
services = ["sandbox"]

[fixtures.thing]
use = "created-resource"
with = { collection = "/things", body = { name = "x" } }

[fixtures.other]
use = "created-resource"
needs = ["thing"]
with = { collection = "/others", body = { thing = "${thing.id}" } }
'''


@pytest.fixture
def with_fixtures(course: Path) -> Path:
    edit(exercise_file(course), "points = 3\n", "points = 3\n" + FIXTURES)
    edit(exercise_file(course), 'id = "ping"\n', 'id = "ping"\nneeds = ["thing"]\n')
    return course


def test_fixtures_and_services_load(with_fixtures):
    exercise = load_course(with_fixtures).exercise("ex-one")
    assert exercise.services == ["sandbox"] and list(exercise.fixtures) == ["thing", "other"]
    assert exercise.fixtures["other"].needs == ["thing"] and exercise.checks[0].needs == ["thing"]


def test_a_parameter_of_the_wrong_type(course):
    edit(exercise_file(course), 'allowed = ["GET", "HEAD"]', 'allowed = "GET, HEAD"')
    error = load_error(course)
    assert error.key == "checks[1].with.allowed" and "'str' instances are not allowed" in error.problem
    assert error.problem.endswith("(allow-header)")


def test_an_unknown_registered_fixture(with_fixtures):
    edit(exercise_file(with_fixtures), 'use = "created-resource"', 'use = "created-thing"')
    error = load_error(with_fixtures)
    assert error.key == "fixtures.thing.use" and "unknown fixture 'created-thing'" in error.problem
    assert "registered fixtures: contract, created-resource" in error.problem


def test_a_fixture_with_a_bad_parameter(with_fixtures):
    edit(exercise_file(with_fixtures), 'collection = "/things"', 'colection = "/things"')
    error = load_error(with_fixtures)
    assert error.key == "fixtures.thing.with.colection" and "unknown key" in error.problem


def test_a_check_that_needs_an_undeclared_fixture(with_fixtures):
    edit(exercise_file(with_fixtures), 'id = "ping"\nneeds = ["thing"]', 'id = "ping"\nneeds = ["thin"]')
    error = load_error(with_fixtures)
    assert error.key == "checks[0].needs[0]" and "'thin' is not a fixture of this exercise" in error.problem


def test_a_fixture_needs_only_earlier_ones(with_fixtures):
    text = exercise_file(with_fixtures).read_text()
    first, second = text.index("[fixtures.thing]"), text.index("[fixtures.other]")
    end = text.index("[[checks]]")
    swapped = text[:first] + text[second:end] + text[first:second] + text[end:]
    exercise_file(with_fixtures).write_text(swapped)
    error = load_error(with_fixtures)
    assert error.key == "fixtures.other.needs[0]" and "not an earlier fixture" in error.problem


def test_a_placeholder_that_reads_a_fixture_not_in_needs(with_fixtures):
    edit(exercise_file(with_fixtures), 'path = "/ping"\nexpect', 'path = "/ping/${other.id}"\nexpect')
    error = load_error(with_fixtures)
    assert error.key == "checks[0]" and "${other.id} reads the fixture 'other'" in error.problem


def test_a_fixture_name_must_be_a_word(with_fixtures):
    edit(exercise_file(with_fixtures), "[fixtures.thing]", "[fixtures.the-thing]")
    error = load_error(with_fixtures)
    assert error.key == "fixtures.the-thing" and "letters, digits and _" in error.problem


def test_an_unknown_service(with_fixtures):
    edit(exercise_file(with_fixtures), 'services = ["sandbox"]', 'services = ["sandbox", "hub"]')
    error = load_error(with_fixtures)
    assert error.key == "services[1]" and "'sandbox'" in error.problem


def test_a_per_check_timeout_is_positive_and_bounded(course):
    edit(exercise_file(course), 'id = "ping"\n', 'id = "ping"\ntimeout = 0\n')
    assert load_error(course).key == "checks[0].timeout"


def test_an_invalid_json_path_fails_at_load_with_its_key(course):
    edit(exercise_file(course), 'expect.json."$.pong" = true', 'expect.json."$.headers.x-pong" = true')
    error = load_error(course)
    assert error.key == "checks[0].steps[0].expect.json.$.headers.x-pong"
    assert "invalid JSONPath '$.headers.x-pong' (RFC 9535)" in error.problem


def test_a_placeholder_in_a_json_path_fails_at_load_rather_than_never_matching(course):
    # With `present = false`, a path that can never match passes whatever the body holds.
    edit(exercise_file(course), 'expect.json."$.pong" = true',
         """expect.json."$.items[?search(@.name, '${word}')]" = { present = false }""")
    error = load_error(course)
    assert "holds a placeholder, which is not filled in a path" in error.problem


def test_a_capture_path_must_select_one_value(course):
    edit(exercise_file(course), 'expect.json."$.pong" = true',
         'expect.json."$.pong" = true\ncapture.all = { json = "$.items[*].id" }')
    error = load_error(course)
    assert error.key == "checks[0].steps[0].capture.all.json" and "several values" in error.problem


def test_the_real_course_compiles_every_path():
    from apilab.catalog.models import compile_json_path

    root = Path(__file__).resolve().parent.parent
    course = load_course(root)
    paths = [path for exercise in course.exercises.values() for check in exercise.checks
             for step in check.steps for path in step.expect.json_paths]
    assert paths and all(compile_json_path(path) for path in paths)
