"""The gradebook: one row per learner and a group of columns per exercise (best score, verdict,
override, date), as CSV that Python's csv module reads back and as JSON, over HTTP and from
`apilab hub gradebook`."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from hub.cli import hub as hub_cli
from hub.store import HubStore
from tests.helpers import FIXTURE_COURSE, make_report
from tests.hub_cohort import Cohort

in_its_own_loop = pytest.mark.asyncio(loop_scope="function")


async def graded(cohort: Cohort) -> dict[str, str]:
    """ada: hello-api twice (the better run is approved with an override), whoami once; bob
    nothing."""
    worse = await cohort.submit("ada", "hello-api", (True, False, False))
    better = await cohort.submit("ada", "hello-api", (True, True, False))
    await cohort.review(better, score_override=3, reason="the last check is a grader bug")
    await cohort.review(worse, "changes_requested", body="The ids are not stable.")
    whoami = await cohort.submit("ada", "whoami", (False, False))
    return {"better": better, "whoami": whoami}


@in_its_own_loop
async def test_the_csv_reads_back_one_learner_per_line(cohort: Cohort):
    await graded(cohort)
    answer = await cohort.http.get("/v1/cohort/gradebook", headers=cohort.auth("mia"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv; charset=utf-8")
    assert "\r\n" in answer.text  # RFC 4180 line ends
    table = list(csv.DictReader(io.StringIO(answer.text, newline="")))
    assert [row["learner"] for row in table] == ["ada", "bob"]
    ada, bob = table
    assert (ada["hello-api score"], ada["hello-api max_score"], ada["hello-api verdict"],
            ada["hello-api override"]) == ("2", "3", "approved", "3")
    assert ada["whoami score"] == "0" and ada["whoami verdict"] == ""
    assert ada["hello-api date"].startswith("20")
    assert all(value == "" for key, value in bob.items() if key != "learner")


@in_its_own_loop
async def test_json_and_one_exercise(cohort: Cohort):
    ids = await graded(cohort)
    answer = await cohort.http.get("/v1/cohort/gradebook", headers=cohort.auth("mia"),
                                   params={"format": "json", "exercise": "whoami"})
    book = answer.json()
    assert book["exercises"] == ["whoami"]
    assert [row["learner"] for row in book["learners"]] == ["ada", "bob"]
    assert book["learners"][0]["exercises"]["whoami"]["score"] == 0
    assert book["learners"][1]["exercises"] == {}
    assert ids["whoami"]  # the run it shows is the only one


@in_its_own_loop
async def test_the_gradebook_is_for_mentors_and_names_a_wrong_exercise(cohort: Cohort):
    assert (await cohort.http.get("/v1/cohort/gradebook",
                                  headers=cohort.auth("ada"))).status_code == 403
    wrong = await cohort.http.get("/v1/cohort/gradebook", headers=cohort.auth("mia"),
                                  params={"exercise": "hello"})
    assert wrong.status_code == 404
    assert "no exercise hello" in wrong.json()["detail"]


def test_a_large_cohort_comes_in_pages(tmp_path, monkeypatch):
    from hub import gradebook as book
    from hub.auth import hash_token

    store = HubStore(tmp_path / "hub.db")
    for number in range(25):
        user = store.add_user(f"learner-{number:02}", "learner", hash_token(f"t{number}"))
        store.put_submission(user, f"00000000-0000-4000-8000-{number:012}", "submit",
                             make_report(exercise="whoami", passed=(number % 2 == 0, True)))
    pages = []
    original = store.learners
    monkeypatch.setattr(store, "learners", lambda **kw: pages.append(kw) or original(**kw))
    found = list(book.rows(store, ["whoami"], page=10))
    assert [row.learner for row in found] == [f"learner-{n:02}" for n in range(25)]
    assert [row.best["whoami"].score for row in found[:2]] == [2, 1]
    assert len(pages) == 4  # 10 + 10 + 5, then an empty page
    store.close()


def test_the_cli_writes_the_same_csv(tmp_path):
    from hub.auth import hash_token

    db = tmp_path / "hub.db"
    store = HubStore(db)
    user = store.add_user("zoe", "learner", hash_token("t"))
    store.put_submission(user, "00000000-0000-4000-8000-000000000001", "submit",
                         make_report(exercise="hello-api", passed=(True, True)))
    store.close()
    out = tmp_path / "book.csv"
    result = CliRunner().invoke(hub_cli, ["gradebook", "--db", str(db), "--course",
                                          str(FIXTURE_COURSE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as file:
        table = list(csv.DictReader(file))
    assert table[0]["learner"] == "zoe" and table[0]["hello-api score"] == "2"
    as_json = CliRunner().invoke(hub_cli, ["gradebook", "--db", str(db), "--course",
                                           str(FIXTURE_COURSE), "--format", "json"])
    assert json.loads(as_json.output)["learners"][0]["exercises"]["hello-api"]["score"] == 2
    wrong = CliRunner().invoke(hub_cli, ["gradebook", "--db", str(db), "--course",
                                         str(FIXTURE_COURSE), "--exercise", "nope"])
    assert wrong.exit_code == 2 and "no exercise nope" in wrong.output
