"""Randomized data is reproducible from the seed, and each value is independent of the others."""

from __future__ import annotations

from apilab.catalog.models import DataSpec
from grader.seeding import draw, rng_for

SPECS = {
    "title": DataSpec(kind="title"),
    "author": DataSpec(kind="name"),
    "pages": DataSpec(kind="int", min=50, max=900),
    "status": DataSpec(kind="choice", values=["to-read", "reading", "done"]),
    "ref": DataSpec(kind="uuid"),
    "tag": DataSpec(kind="word"),
}


def test_the_same_seed_draws_the_same_data():
    assert draw(SPECS, 7) == draw(SPECS, 7)


def test_different_seeds_draw_different_data():
    assert draw(SPECS, 7) != draw(SPECS, 8)


def test_adding_a_value_leaves_the_others_unchanged():
    before = draw(SPECS, 11)
    after = draw({**SPECS, "extra": DataSpec(kind="word")}, 11)
    assert {k: after[k] for k in before} == before


def test_values_respect_their_spec():
    for seed in range(50):
        data = draw(SPECS, seed)
        assert 50 <= data["pages"] <= 900
        assert data["status"] in {"to-read", "reading", "done"}
        assert data["title"].startswith("The ")
        assert len(data["ref"]) == 36


def test_check_generators_are_independent_per_check():
    assert rng_for(5, "a").random() == rng_for(5, "a").random()
    assert rng_for(5, "a").random() != rng_for(5, "b").random()
