"""Exercise 1 graded against servers written without FastAPI (tests/foreign_servers/): raw asyncio
sockets in Python and Node's standard library.

Servers that are correct but unusual on the wire (chunked bodies, HTTP/1.0 closing after every
response, charset parameters, ASCII-escaped JSON, a bare rel=next, string ids, Node's keep-alive)
must score full marks, hidden checks included. Servers with one realistic mistake each must fail
the checks that catch it, and the message must name the mistake.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apilab.catalog.loader import load_exercise
from grader.runner import grade
from grader.wire import Limits
from tests.helpers import foreign_servers

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SERVERS = Path(__file__).resolve().parent / "foreign_servers"
EXERCISE = load_exercise(ROOT / "exercises" / "reading-list")
# Short waits: two of the mistakes leave the grader waiting for bytes that never come.
LIMITS = Limits(read_timeout=1, request_timeout=3)

CORRECT_PYTHON = ["plain", "chunked", "http10", "charset", "ascii-json", "unquoted-rel", "string-ids"]
CORRECT_NODE = ["node", "node-streamed"]
# mistake: (the checks that must catch it, words their messages must say)
MISTAKES = {
    "head-body": ({"head-item", "head-collection", "keep-alive"},
                  "bytes of body after HEAD; a HEAD response ends after its headers"),
    "length-in-characters": ({"create-201", "get-one", "keep-alive"},
                             "count bytes, not characters"),
    "node-length-utf16": ({"create-201", "keep-alive"}, "UTF-16 units"),
    "length-too-long": ({"create-201", "get-one"}, "but the connection closed after"),
    "body-after-204": ({"delete-204", "keep-alive"}, "bytes of body after a 204 response"),
    "latin1-bodies": ({"create-201", "keep-alive"}, "read as Latin-1"),
    "ascii-replace": ({"create-201", "get-one"}, "some characters were replaced"),
    "one-request-per-connection": ({"keep-alive"}, "then sent nothing for 1 s for the next request"),
    "patch-unchecked": ({"invalid-input-every-method"}, 'PATCH'),
    "put-unchecked": ({"invalid-input-every-method"}, 'with pages = "300" answered 200'),
    "ids-from-count": ({"ids-survive-churn"}, "got the same id"),
    "deleted-still-listed": ({"deleted-not-listed"}, "still lists"),
    "offset-cursor": ({"pagination-under-changes"}, "offset"),
    "last-page-links-empty": ({"last-page-no-next"}, "is empty: page 1 held the last item"),
    "json-errors-only": ({"text-not-utf8"}, "UnicodeDecodeError"),
    "unread-refused-body": ({"keep-alive"}, "its body was left unread"),
    "unread-refused-update": ({"keep-alive"}, "its body was left unread"),
}
NODE_VARIANTS = {*CORRECT_NODE, "node-length-utf16"}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """Every variant on a port of its own: the Python ones in one process, Node's in another."""
    python = [v for v in [*CORRECT_PYTHON, *MISTAKES] if v not in NODE_VARIANTS]
    with foreign_servers({
        "reading_list.py": [sys.executable, str(SERVERS / "reading_list.py"), "--listen",
                            *(f"{v}=0" for v in python)],
        "reading_list.mjs": ["node", str(SERVERS / "reading_list.mjs"), *(f"{v}=0" for v in NODE_VARIANTS)],
    }) as urls:
        yield urls


def failures(report) -> str:
    return "\n".join(f"{c.id}: {c.message}" for c in report.failed)


@pytest.mark.parametrize("variant", CORRECT_PYTHON + CORRECT_NODE)
async def test_a_correct_server_unusual_on_the_wire_scores_full_marks(servers, variant):
    report = await grade(EXERCISE, servers[variant], seed=11, include_hidden=True, limits=LIMITS)
    assert report.status == "pass", failures(report)
    assert report.score == EXERCISE.points


@pytest.mark.parametrize("variant", sorted(MISTAKES))
async def test_a_realistic_mistake_fails_the_checks_that_catch_it_saying_why(servers, variant):
    catching, words = MISTAKES[variant]
    # hidden ones shown too, so that their messages can be read
    only = EXERCISE.model_copy(update={"checks": [
        c.model_copy(update={"hidden": False}) for c in EXERCISE.checks if c.id in catching]})
    started = time.monotonic()
    report = await grade(only, servers[variant], seed=11, limits=LIMITS)
    assert time.monotonic() - started < LIMITS.run_timeout  # a hanging mistake costs seconds
    failed = {check.id: check.message for check in report.failed}
    assert set(failed) == catching, failures(report)
    for check_id, message in failed.items():
        assert words in message, f"{check_id}: {message}"
