"""Self-checks for lesson notebooks, imported by the notebook's kernel.

A self-check cell wraps its expectations in `with self_check("what it proves"):`. When an
expectation does not hold, the learner sees one sentence that says what is wrong and what to
look at, never a traceback: `SelfCheckFailed` renders itself that way in Jupyter, and any other
error inside the block (an answer of the wrong kind, a blank still in the code it runs) is
turned into one. When every expectation holds, the cell prints a ✓ line.

    with self_check("POST creates"):
        answered("created")
        expect(created.status_code == 201, f"... answered {created.status_code}: ...")

This module is imported in the learner's kernel: it stays small and imports nothing heavy.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

RED, RESET = "\x1b[31m", "\x1b[0m"
# What each method asks for (RFC 9110 section 9.3), to tell a learner what the request they sent meant.
METHOD_MEANINGS = {
    "GET": "GET only reads; it never changes anything.",
    "HEAD": "HEAD is GET without the body: it only reads.",
    "POST": "POST asks the target to process your body: sent to a collection, to create an item in it.",
    "PUT": "PUT replaces the whole resource at that URI with your body.",
    "PATCH": "PATCH changes some fields of the resource at that URI.",
    "DELETE": "DELETE removes the resource at that URI.",
    "OPTIONS": "OPTIONS asks which methods that URI supports.",
}


class SelfCheckFailed(Exception):
    """An expectation of a self-check does not hold yet; the message says why, for the learner."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows what this returns instead of a traceback: the learner needs the sentence,
        # not the frames of this module.
        return [f"{RED}✗ Not yet:{RESET} {self}"]


@contextmanager
def self_check(title: str) -> Iterator[None]:
    """Run a self-check's expectations; print `✓ title` when all hold, or fail in one sentence."""
    try:
        yield
    except SelfCheckFailed:
        raise
    except Exception as exc:  # the learner's answers broke the check's own code
        raise SelfCheckFailed(_explain(exc)) from None
    print(f"✓ {title}")


def answered(*names: str) -> None:
    """Fail unless each named variable exists in the notebook and is no longer a blank (`...`)."""
    namespace = _notebook_namespace()
    for name in names:
        if name not in namespace:
            raise SelfCheckFailed(f"`{name}` is not defined yet. Run the cell where you fill it in "
                                  "(Shift+Enter), then this one.")
        if namespace[name] is Ellipsis:
            raise SelfCheckFailed(f"`{name}` is still a blank (...). Replace the ... with your answer, "
                                  "run that cell, then this one.")


def expect(condition: object, message: str) -> None:
    """Fail with `message` (written for the learner: what is wrong, what to look at) unless true."""
    if not condition:
        raise SelfCheckFailed(message)


def expect_request(name: str, method: str, url: str, task: str) -> None:
    """Fail unless the variable `name` holds the response to a `method` request for `url`
    (compared by path). `task` says, for the learner, what the request should have been."""
    answered(name)
    response = _notebook_namespace()[name]
    request = getattr(response, "request", None)
    expect(request is not None and hasattr(response, "status_code"),
           f"`{name}` should be the response to a request (what api.get(...) or api.post(...) "
           f"returns), not {_kind(response)}.")
    what = f"{request.method} {request.url.raw_path.decode()}"
    expect(request.method == method,
           f"you sent {what}. {METHOD_MEANINGS.get(request.method, '')} {task}")
    expect(request.url.path == urlsplit(url).path,
           f"you sent {what}: the right method, to another URI. {task}")


def answer_line(response: Any, detail: bool = True) -> str:
    """`"METHOD /path?query answered 415 Unsupported Media Type (the problem's detail)"`, for
    messages about a learner's request; the detail is there when asked for and the server sent one."""
    request = response.request
    target = request.url.raw_path.decode()  # path and query, as on the request line
    line = f"{request.method} {target} answered {response.status_code} {response.reason_phrase}"
    said = _problem_detail(response) if detail else None
    return f"{line} ({said})" if said else line


def predicted_status(name: str, response: Any, why: str) -> None:
    """Compare the learner's predicted status code, in the variable `name`, with `response`'s.

    On a wrong prediction the message gives the real answer and `why` it is so: predicting first
    and then reading the reason is the point of the exercise.
    """
    answered(name)
    predicted = _notebook_namespace()[name]
    expect(isinstance(predicted, int) and not isinstance(predicted, bool),
           f"`{name}` should be a status code, a number such as 200, not {_kind(predicted)}.")
    expect(predicted == response.status_code,
           f"you predicted {predicted}, but {answer_line(response)}. {why}")
    print(f"{answer_line(response, detail=False)}, as you predicted.")


def _problem_detail(response: Any) -> str | None:
    """The `detail` of an RFC 9457 problem body, if `response` carries one."""
    if "json" not in response.headers.get("content-type", "") or response.status_code < 400:
        return None
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    return str(detail)[:300] if detail else None


def _notebook_namespace() -> dict[str, Any]:
    """The globals of the code that called into this module: the notebook's variables."""
    frame = sys._getframe(1)
    while frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back  # type: ignore[assignment]
    return frame.f_globals


def _explain(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, NameError) and exc.name:
        return (f"`{exc.name}` is not defined yet. Run the cells above this one in order "
                "(Shift+Enter), then this one.")
    if "ellipsis" in str(exc).lower():
        return (f"the code this check runs still has a blank (...) in it ({text}). Fill in the "
                "blanks above, run their cells, then this one.")
    if type(exc).__module__.startswith(("httpx", "httpcore")):
        return (f"the sandbox did not answer ({text}). Is it running? Start it with "
                "`apilab sandbox`, or open this notebook with `apilab notebook`.")
    return (f"this check could not use your answers ({text}). Check that each answer above is the "
            "kind of value its comment asks for.")


def _kind(value: Any) -> str:
    """A learner's answer as `type repr`, short: what they gave instead of what was asked."""
    return f"{type(value).__name__} {value!r}"[:120]
