"""Lesson 4's exercise graded against a server written from its README alone, in Node's standard
library (tests/foreign_servers/team_wiki.mjs), making choices the README allows that the Python
reference does not: ETags from a write counter with a comma inside the quotes, a weak list ETag,
chunked reads, no Last-Modified on a 304, the connection closed after each error. The correct
server scores full marks, hidden checks and contract probes included; each realistic mistake
planted in it (`--mistake NAME`) fails exactly the hand-written checks that should see it, and the
probe meant for one catches it."""

from __future__ import annotations

from pathlib import Path

import pytest

from apilab.catalog.loader import load_exercise
from grader.runner import grade
from tests.helpers import grade_planted, hand_written, node_server, planted_mistakes

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).resolve().parent / "foreign_servers" / "team_wiki.mjs"
EXERCISE = load_exercise(ROOT / "exercises" / "team-wiki")
HAND_WRITTEN = hand_written(EXERCISE)


@pytest.mark.timeout(300)  # every check, and the probes' budget
async def test_a_correct_node_server_scores_full_marks():
    with node_server(SERVER) as url:
        report = await grade(EXERCISE, url, seed=11, include_hidden=True)
    assert report.status == "pass", "\n".join(f"{c.id}: {c.message}" for c in report.failed)
    assert report.score == report.max_score == EXERCISE.points


# A hidden check reports no requests, only that it failed.
HIDDEN = "a hidden check failed"


@pytest.mark.parametrize(("mistake", "caught_by", "said"), [
    ("weak-etag", {"etag-strong", "if-match-strong"}, "header ETag is not as expected"),
    # Every GET that is answered 304, whichever header made it one; HEAD has no body to add.
    ("body-on-304", {"inm-304", "inm-list", "inm-weak", "ims-304", "inm-beats-ims",
                     "cache-control-page", "inm-star"}, "a 304 has none"),
    # The recreated page is written with its old ETag, which must be refused.
    ("if-match-presence-only", {"put-stale-412", "patch-stale-412", "if-match-strong",
                                "precondition-problem", "etag-after-recreate"}, "answered 200"),
    ("etag-is-revision", {"etag-after-recreate"}, HIDDEN),
    ("ims-strictly-before", {"ims-304"}, "answered 200"),
    ("no-cache-for-a-field", {"cache-control-page", "cache-control-list"},
     "has no-cache only for the fields Set-Cookie"),
])
async def test_a_planted_mistake_fails_the_checks_that_see_it(mistake, caught_by, said):
    report = await grade_planted(SERVER, mistake, HAND_WRITTEN, seed=11)
    failed = {check.id: check.message for check in report.failed}
    assert set(failed) == caught_by
    assert any(said in message for message in failed.values()), failed


# Mistakes the contract probes are for, each with the probe that must catch it. No hand-written
# check sends a null field, so only the probe sees the first.
PROBED_MISTAKES = {
    "patch-null-kept": ("contract-rejects-invalid", "(sent null)"),
}


def test_every_mistake_the_server_can_plant_is_tested():
    named = {"weak-etag", "body-on-304", "if-match-presence-only", "etag-is-revision",
             "ims-strictly-before", "no-cache-for-a-field"}
    assert planted_mistakes(SERVER) == named | set(PROBED_MISTAKES)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("mistake", sorted(PROBED_MISTAKES))
async def test_a_mistake_the_probes_are_for_is_caught_by_its_probe(mistake):
    probe, said = PROBED_MISTAKES[mistake]
    report = await grade_planted(SERVER, mistake, EXERCISE, seed=11, probe=probe)
    assert [check.id for check in report.failed] == [probe], report.message
    assert said in report.failed[0].message, report.failed[0].message
