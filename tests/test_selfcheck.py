"""Self-checks speak to the learner: one sentence that says what is wrong, never a traceback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from apilab.selfcheck import SelfCheckFailed


def run_cell(source: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run `source` the way a kernel runs a cell: as module-level code in the notebook's globals."""
    namespace = {"__name__": "__main__", **(namespace or {})}
    exec("from apilab.selfcheck import *\n" + source, namespace)
    return namespace


def failure(source: str, **variables: Any) -> str:
    with pytest.raises(SelfCheckFailed) as caught:
        run_cell(source, variables)
    return str(caught.value)


def test_a_check_that_holds_prints_its_title(capsys):
    run_cell('with self_check("201 Created"):\n    answered("x")\n    expect(x == 201, "no")', {"x": 201})
    assert capsys.readouterr().out == "✓ 201 Created\n"


def test_a_blank_left_is_named():
    message = failure('with self_check("t"):\n    answered("status")', status=...)
    assert message.startswith("`status` is still a blank (...). Replace the ... with your answer")


def test_an_answer_cell_not_run_yet_is_named_instead_of_a_name_error():
    assert "`status` is not defined yet. Run the cell where you fill it in" in failure(
        'with self_check("t"):\n    answered("status")')
    assert "`other` is not defined yet" in failure('with self_check("t"):\n    other + 1')


def test_an_unmet_expectation_says_the_authors_words():
    assert failure('with self_check("t"):\n    expect(x == 201, f"got {x}")', x=200) == "got 200"


def test_an_answer_of_the_wrong_kind_is_explained_not_raised():
    message = failure('with self_check("t"):\n    x.startswith("http")', x=41)
    assert message.startswith("this check could not use your answers (AttributeError: 'int'")
    assert "the kind of value its comment asks for" in message


def test_a_blank_deep_in_code_the_check_runs_is_recognised():
    message = failure('def walk():\n    page = ...\n    return page.json()\n'
                      'with self_check("t"):\n    walk()')
    assert message.startswith("the code this check runs still has a blank (...)")


def test_jupyter_shows_the_sentence_without_a_traceback():
    rendered = SelfCheckFailed("`x` is still a blank (...).")._render_traceback_()
    assert len(rendered) == 1 and rendered[0].endswith("Not yet:\x1b[0m `x` is still a blank (...).")


def test_a_prediction_is_compared_with_the_real_status(sandbox_client: httpx.Client, capsys):
    response = sandbox_client.get("/books/99999")
    check = 'with self_check("t"):\n    predicted_status("guess", response, "Nothing is there.")'
    assert failure(check, guess=200, response=response) == (
        "you predicted 200, but GET /books/99999 answered 404 Not Found (no book with id 99999). "
        "Nothing is there.")
    assert "should be a status code, a number such as 200, not str '404'" in failure(
        check, guess="404", response=response)
    run_cell(check, {"guess": 404, "response": response})
    assert capsys.readouterr().out == "GET /books/99999 answered 404 Not Found, as you predicted.\n✓ t\n"


def test_a_request_is_checked_by_method_and_uri(sandbox_client: httpx.Client):
    check = 'with self_check("t"):\n    expect_request("made", "POST", "/books", "Add it to /books.")'
    put = sandbox_client.put("/books", json=[])
    assert failure(check, made=put) == (
        "you sent PUT /books. PUT replaces the whole resource at that URI with your body. Add it to /books.")
    wrong_uri = sandbox_client.post("/authors", json={})
    assert failure(check, made=wrong_uri).startswith(
        "you sent POST /authors: the right method, to another URI.")
    assert "should be the response to a request" in failure(check, made="POST /books")
