"""Registered checks and fixtures are found by discovery: a topic module dropped into grader/checks/
is enough for exercise files to `use` its checks, with their `with` tables validated by type."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import grader.checks
from apilab.catalog.loader import CatalogError, load_exercise
from grader.checks import registry
from grader.checks.registry import RegistryError

GEO_TOPIC = '''
"""A topic written for this test: it lives in a temporary folder, not in the source tree."""

from __future__ import annotations

from collections.abc import Sequence

from grader.checks.registry import check, fixture


@check("geo-distance")
async def geo_distance(ctx, *, path: str, limit: int = 10, units: Sequence[str] = ("km",)) -> None:
    """Proves nothing: a check of a topic dropped in by a test (RFC 7946)."""


@fixture("geo-point")
async def geo_point(ctx, *, lat: float, lon: float) -> dict:
    """Prepares a point for the checks that need one."""
    return {"lat": lat, "lon": lon}
'''

EXERCISE = '''\
id = "0b5ad1c2-5f0e-4d4c-9b7e-1a2b3c4d5e6f"
slug = "geo"
title = "Geo"
lesson = "first"
points = 1

[fixtures.point]
use = "geo-point"
with = {{ lat = 52.5, lon = 13 }}

[[checks]]
id = "distance"
title = "Distance"
points = 1
why = "RFC 7946"
use = "geo-distance"
needs = ["point"]
with = {with_}
'''


@pytest.fixture
def topic_dropped_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> registry.Registry:
    """grader/checks/ as if geo.py had been added to it; the registry it discovers."""
    registry.default()  # discovered (and cached) for the rest of the session before the drop-in
    (tmp_path / "geo.py").write_text(GEO_TOPIC, encoding="utf-8")
    monkeypatch.setattr(grader.checks, "__path__", [*grader.checks.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "grader.checks.geo", raising=False)
    yield registry.discover()
    sys.modules.pop("grader.checks.geo", None)


def write_exercise(root: Path, with_: str) -> Path:
    folder = root / "geo"
    for name, text in [("exercise.toml", EXERCISE.format(with_=with_)), ("README.md", "# Geo\n"),
                       ("starter/app.py", ""), ("solution/app.py", "")]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_topic_module_dropped_in_is_enough(topic_dropped_in):
    assert "geo-distance" in topic_dropped_in.checks and "geo-point" in topic_dropped_in.fixtures
    assert "allow-header" in topic_dropped_in.checks  # the built-in topics are still there
    assert topic_dropped_in.checks["geo-distance"].module == "grader.checks.geo"
    assert "geo-distance" not in registry.default().checks  # the real registry is untouched


def test_its_checks_load_with_typed_parameters(topic_dropped_in, tmp_path):
    folder = write_exercise(tmp_path / "ok", '{ path = "/near", limit = 3 }')
    exercise = load_exercise(folder, topic_dropped_in)
    assert exercise.checks[0].use == "geo-distance" and list(exercise.fixtures) == ["point"]


@pytest.mark.parametrize(("with_", "key", "says"), [
    ('{ path = "/near", limit = "3" }', "checks[0].with.limit", "valid integer"),  # not converted
    ('{ path = "/near", units = "km" }', "checks[0].with.units", "'str' instances are not allowed"),
    ('{ path = "/near", limt = 3 }', "checks[0].with.limt", "unknown key"),
    ('{ limit = 3 }', "checks[0].with.path", "required key is missing"),
])
def test_a_with_table_that_breaks_the_types_names_file_and_key(topic_dropped_in, tmp_path, with_,
                                                                key, says):
    folder = write_exercise(tmp_path / "bad", with_)
    with pytest.raises(CatalogError) as caught:
        load_exercise(folder, topic_dropped_in)
    assert caught.value.key == key and says in caught.value.problem
    assert str(caught.value).startswith(f"{folder / 'exercise.toml'}: {key}: ")


def test_a_name_registered_in_two_topics_is_refused(topic_dropped_in, tmp_path):
    (tmp_path / "geo_again.py").write_text(GEO_TOPIC, encoding="utf-8")
    try:
        with pytest.raises(RegistryError, match="'geo-distance' is registered twice: in "
                                                "grader.checks.geo and in grader.checks.geo_again"):
            registry.discover()
    finally:
        sys.modules.pop("grader.checks.geo_again", None)


def test_a_registered_function_must_be_async_documented_and_keyword_only():
    async def positional(ctx, path: str) -> None:
        """Takes path positionally."""

    async def undocumented(ctx) -> None:
        pass

    def blocking(ctx) -> None:
        """Not async."""

    with pytest.raises(RegistryError, match="'path' must be keyword-only"):
        registry.check("positional")(positional)
    with pytest.raises(RegistryError, match="needs a docstring"):
        registry.check("undocumented")(undocumented)
    with pytest.raises(RegistryError, match="must be an async function"):
        registry.fixture("blocking")(blocking)


def test_every_built_in_check_documents_its_parameters_by_type():
    for name, registered in registry.default().checks.items():
        assert registered.doc, name
        registered.params.json_schema()  # every annotation is one pydantic understands


def test_fixture_values_reach_the_check_by_name(topic_dropped_in):
    point = topic_dropped_in.fixtures["geo-point"]
    assert point.validate({"lat": 1, "lon": 2.5}) == {"lat": 1.0, "lon": 2.5}
    assert textwrap.dedent(point.doc).startswith("Prepares a point")
