"""`apilab verify` holds each exercise's README.md and openapi.yaml to one contract: every
exercise agrees as shipped, and a route, status, field or bound in one and not the other is named.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from apilab.catalog.loader import load_exercise
from apilab.contract_agreement import disagreements
from grader.contract.document import members, read_contract

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


CONTRACTED = sorted(p.name for p in EXERCISES.iterdir() if (p / "openapi.yaml").is_file())
TITLE_ROW = "`title`  | string                                 | required; "


@pytest.mark.parametrize("slug", CONTRACTED)
def test_every_exercise_states_one_contract(slug):
    assert disagreements(load_exercise(EXERCISES / slug)) == []


def edited(tmp_path: Path, file: str, find: str, replace: str) -> list[str]:
    folder = shutil.copytree(EXERCISES / "reading-list", tmp_path / "reading-list",
                             ignore=shutil.ignore_patterns("__pycache__"))
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(find) == 1, find
    path.write_text(text.replace(find, replace), encoding="utf-8")
    return disagreements(load_exercise(folder))


def test_a_status_in_one_and_not_the_other_is_named(tmp_path):
    problems = edited(tmp_path, "README.md", "| `400`, `415`, `422` |", "| `400`, `415` |")
    assert any("POST /books" in p and "422" in p for p in problems), problems


def test_a_bound_that_differs_is_named(tmp_path):
    problems = edited(tmp_path, "README.md", TITLE_ROW + "1 to 500", TITLE_ROW + "1 to 400")
    assert any("`title`" in p and "maxLength" in p and "400" in p and "500" in p for p in problems), problems


def test_a_field_in_one_and_not_the_other_is_named(tmp_path):
    problems = edited(tmp_path, "openapi.yaml", '        notes: {type: [string, "null"]}\n',
                      '        notes: {type: [string, "null"]}\n        isbn: {type: string}\n')
    assert any("Book" in p and "also has isbn" in p for p in problems), problems


def test_a_rule_the_readme_grammar_cannot_read_is_an_error_not_a_silence(tmp_path):
    problems = edited(tmp_path, "README.md", TITLE_ROW + "1 to 500 characters",
                      TITLE_ROW + "between one and 500 letters")
    assert any("cannot read the rule" in p for p in problems), problems


def test_an_unlinked_contract_is_named(tmp_path):
    folder = shutil.copytree(EXERCISES / "reading-list", tmp_path / "reading-list")
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("[openapi.yaml](openapi.yaml)", "the document"), encoding="utf-8")
    assert any("does not link openapi.yaml" in p for p in disagreements(load_exercise(folder)))


# --- what a GET shows: a member shown once (an API key's `key` in its 201) is not compared -----

DOCUMENT = {
    "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
    "components": {"schemas": {
        "Key": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
        "NewKey": {"allOf": [{"$ref": "#/components/schemas/Key"},
                             {"type": "object", "properties": {"key": {"type": "string"}}}]},
    }},
    "paths": {
        "/keys": {"post": {
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"name": {"type": "string"}}}}}},
            "responses": {"201": {"description": "made", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/NewKey"}}}}}}},
        "/keys/{id}": {"get": {"responses": {"200": {"description": "one", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Key"}}}}}}},
    },
}


def test_members_of_a_schema_include_its_all_of_parts():
    assert set(members(read_contract(DOCUMENT).schemas()["NewKey"])) == {"id", "name", "key"}


def test_a_write_answer_is_compared_as_a_get_shows_it():
    contract = read_contract(DOCUMENT)
    answered = {"id": 3, "name": "ci", "key": "ak_secret", "extra": 1}
    assert contract.as_read("/keys", answered) == {"id": 3, "name": "ci"}
    assert contract.as_read("/keys/{id}", answered) == {"id": 3, "name": "ci"}
    assert contract.as_read("/elsewhere", answered) == answered  # no GET schema: all of it
