"""Lesson 3's exercise graded against a server written from its README alone, in Node's standard
library (tests/foreign_servers/reading_list_v2.mjs), making choices the README allows that the
Python reference does not. The correct server scores full marks, hidden checks and contract
probes included; each realistic mistake planted in it (`--mistake NAME`) fails exactly the
hand-written checks that should see it, and the probe meant for it catches the one they are
meant for."""

from __future__ import annotations

from pathlib import Path

import pytest

from apilab.catalog.loader import load_exercise
from grader.runner import grade
from tests.helpers import grade_planted, hand_written, node_server, planted_mistakes

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).resolve().parent / "foreign_servers" / "reading_list_v2.mjs"
EXERCISE = load_exercise(ROOT / "exercises" / "reading-list-v2")
HAND_WRITTEN = hand_written(EXERCISE)


@pytest.mark.timeout(300)  # every check of both versions, and the probes' budget
async def test_a_correct_node_server_scores_full_marks():
    with node_server(SERVER) as url:
        report = await grade(EXERCISE, url, seed=11, include_hidden=True)
    assert report.status == "pass", "\n".join(f"{c.id}: {c.message}" for c in report.failed)
    assert report.score == report.max_score == EXERCISE.points


@pytest.mark.parametrize(("mistake", "caught_by", "said"), [
    ("document-unannounced", {"deprecation-header", "sunset-header", "deprecation-links"},
     "GET /v1/openapi.json has no Deprecation header"),
    ("v2-list-in-v1-shape", {"lists-agree-v2"}, "lists an item without $.authors"),
    ("next-link-to-v1", {"lists-agree-v2"}, "or a next link that leaves this version"),
    ("sunset-one-digit-day", {"sunset-header"}, "Sunset is not an HTTP-date in IMF-fixdate form"),
    ("utf16-length", {"authors-length-in-characters"},
     "answered 422, yet the rules allow 500 characters"),
])
async def test_a_planted_mistake_fails_the_checks_that_see_it(mistake, caught_by, said):
    report = await grade_planted(SERVER, mistake, HAND_WRITTEN, seed=11)
    failed = {check.id: check.message for check in report.failed}
    assert set(failed) == caught_by
    assert any(said in message for message in failed.values()), failed


async def test_a_sunset_computed_at_each_response_is_caught_a_second_later():
    report = await grade_planted(SERVER, "sunset-rolling", HAND_WRITTEN, seed=11)
    failed = {check.id: check.message for check in report.failed}
    # errors-announce compares what its own responses say, sent within milliseconds of each
    # other: it sees the Sunset move only when they happen to straddle a second.
    assert "sunset-header" in failed and set(failed) <= {"sunset-header", "errors-announce"}, failed
    assert "Sunset differs from one response to another" in failed["sunset-header"]


# Mistakes the contract probes are for, each with the probe that must catch it. The hand-written
# checks miss the last one (the correct server passed them while it still made it).
PROBED_MISTAKES = {
    "v2-list-in-v1-shape": ("contract-lists-match-items", "the list shows"),
    "utf16-length": ("contract-accepts-valid", "refused a valid body"),
    "options-unanswered": ("contract-allow-and-routes", "OPTIONS"),
}


def test_every_mistake_the_server_can_plant_is_tested():
    named = {"document-unannounced", "v2-list-in-v1-shape", "next-link-to-v1", "sunset-one-digit-day",
             "sunset-rolling", "utf16-length"}
    assert planted_mistakes(SERVER) == named | set(PROBED_MISTAKES)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("mistake", sorted(PROBED_MISTAKES))
async def test_a_mistake_the_probes_are_for_is_caught_by_its_probe(mistake):
    probe, said = PROBED_MISTAKES[mistake]
    report = await grade_planted(SERVER, mistake, EXERCISE, seed=11, probe=probe)
    assert [check.id for check in report.failed] == [probe], report.message
    assert said in report.failed[0].message, report.failed[0].message
