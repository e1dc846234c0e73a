"""The course kept between starts: the same course as a fresh load, read from the kept copy while
nothing changed, loaded again when any file changes, and never kept when it does not load."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from apilab import paths
from apilab.catalog.cache import cached_course, course_key, kept_course
from apilab.catalog.loader import CatalogError, load_course
from apilab.catalog.outline import CourseOutline

FIXTURE = Path(__file__).parent / "fixtures" / "course"


@pytest.fixture
def course_root(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    return root


def kept_files() -> list[Path]:
    return sorted((paths.data_home() / "cache").glob("course-*.pickle"))


def set_title(root: Path, title: str) -> None:
    toml = root / "exercises" / "hello-api" / "exercise.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('title = "Hello, API"', f'title = "{title}"', 1), encoding="utf-8")


def test_the_kept_course_is_the_course_a_fresh_load_gives(course_root):
    first = cached_course(course_root)
    assert first == load_course(course_root)
    assert len(kept_files()) == 1
    assert cached_course(course_root) == first


def test_an_unchanged_course_is_read_from_the_kept_copy(course_root):
    cached_course(course_root)
    [kept] = kept_files()
    key, outline, course = pickle.loads(kept.read_bytes())
    marked = pickle.loads(course).model_copy(update={"title": "read from the kept copy"})
    kept.write_bytes(pickle.dumps((key, outline, pickle.dumps(marked))))
    assert cached_course(course_root).title == "read from the kept copy"


def test_the_outline_is_the_courses_and_reads_back_without_the_course(course_root):
    course = load_course(course_root)
    kept_course(course_root)  # kept
    kept = kept_course(course_root)
    assert kept.outline == CourseOutline.of(course)
    hello, outline = course.exercise("hello-api"), kept.outline.exercise("hello-api")
    assert (outline.title, outline.root, outline.max_score, outline.visible_points) == (
        hello.title, hello.root, hello.max_score, hello.visible_points)
    assert [e.slug for e in kept.outline.exercises_of(kept.outline.lesson("1"))] == [
        e.slug for e in course.exercises_of(course.lesson("1"))]
    assert kept._course is None, "the whole course is read back only when asked for"
    assert kept.course() == course and kept.course() is kept.course()


def test_a_kept_outline_whose_course_cannot_be_read_back_loads_the_course(course_root):
    kept_course(course_root)
    [kept] = kept_files()
    key, outline, _course = pickle.loads(kept.read_bytes())
    kept.write_bytes(pickle.dumps((key, outline, b"damaged")))
    assert kept_course(course_root).course() == load_course(course_root)


def test_a_changed_file_is_loaded_again(course_root):
    assert cached_course(course_root).exercise("hello-api").title == "Hello, API"
    set_title(course_root, "Hello again, API")
    assert cached_course(course_root).exercise("hello-api").title == "Hello again, API"


def test_a_file_added_or_removed_changes_the_key(course_root):
    before = course_key(course_root)
    extra = course_root / "lessons" / "notes.md"
    extra.write_text("a note\n", encoding="utf-8")
    assert course_key(course_root) != before
    extra.unlink()
    assert course_key(course_root) == before


def test_a_course_that_does_not_load_is_never_kept(course_root):
    cached_course(course_root)
    toml = course_root / "exercises" / "hello-api" / "exercise.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\nunknown_key = 1\n", encoding="utf-8")
    for _ in range(2):  # the second start finds the error again, not a course kept before it
        with pytest.raises(CatalogError, match="unknown_key"):
            cached_course(course_root)


def test_a_damaged_kept_copy_is_replaced_by_a_fresh_load(course_root):
    cached_course(course_root)
    [kept] = kept_files()
    kept.write_bytes(b"not a pickle")
    assert cached_course(course_root) == load_course(course_root)
    key, _outline, _course = pickle.loads(kept.read_bytes())
    assert key == course_key(course_root)
