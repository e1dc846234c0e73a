"""Text that came from outside the process, made safe to show.

A learner's server, a report, a hub, a learner or a mentor can put anything in a string. Shown
as is, some characters drive the terminal instead of being drawn: ESC starts a sequence that
can retitle the window (OSC 0), write the clipboard (OSC 52), clear the screen (CSI 2J) or make
a hidden hyperlink (OSC 8); the C1 controls U+0080-U+009F do the same in one character (U+009B
is CSI); bidi overrides and isolates reorder what the reader sees (CVE-2021-42574).

`clean` turns each such character into a visible escape (`\\x1b`, `\\x9b`, `\\u202e`). That is
enough for every sequence, CSI, OSC, DCS, APC, PM and SOS alike: a terminal only acts on one
that starts with ESC or a C1 control, and both arrive as four harmless printable characters,
terminators (BEL, ST) included. Escaping rather than deleting keeps what was sent readable, so
a learner can see that their server answered with colour codes, and a mentor that a report
tried something.

This module is a leaf (standard library only, Rich imported lazily), so that the grader, which
depends on nothing else of apilab's but the catalog models, can use it too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

# C0 controls except tab and newline; DEL and the C1 controls; the bidi embeddings, overrides
# (U+202A-U+202E) and isolates (U+2066-U+2069); lone surrogates, which cannot be encoded for
# output; and the two non-characters that XML forbids.
UNSAFE_RANGES = ((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0x202A, 0x202E), (0x2066, 0x2069),
                 (0xD800, 0xDFFF), (0xFFFE, 0xFFFF))
UNSAFE = re.compile("[" + "".join(f"{chr(first)}-{chr(last)}" for first, last in UNSAFE_RANGES)
                    + "]")
# How a JSON serializer writes the C0 controls (and DEL) that `clean` escapes; \n and \t are kept.
_JSON_ESCAPED_CONTROL = re.compile(r"\\(?:u00[01][0-9a-fA-F]|u007[fF]|[bfr])")


def clean(text: str) -> str:
    """`text` with every character that could drive a terminal or reorder what is read shown
    as a visible escape such as `\\x1b`. Newlines and tabs stay; CRLF becomes a newline."""
    if UNSAFE.search(text) is None:  # the common case, at the speed of one scan
        return text
    return UNSAFE.sub(_visible, text.replace("\r\n", "\n"))


def clean_all(value: Any) -> Any:
    """`value` (JSON-like: dicts, lists, tuples, strings, numbers) with every string cleaned,
    dictionary keys included."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean_all(key): clean_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean_all(item) for item in value)
    return value


def json_is_clean(document: str) -> bool:
    """Whether every string in the JSON `document` is already as `clean` would leave it: a
    quick test (one scan) that lets the common case skip cleaning a large document string by
    string. It may answer False for a clean document (a literal backslash before an r, say),
    never True for one that needs cleaning."""
    return UNSAFE.search(document) is None and _JSON_ESCAPED_CONTROL.search(document) is None


def clean_json(document: str) -> str:
    """A JSON document with each character that `clean` would escape written as a JSON escape
    (`\\u009b`) instead: the same data to any parser, inert when printed to a terminal. (A JSON
    serializer escapes C0 controls itself, but not DEL, C1 or bidi characters.)"""
    return UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", document)


def safe_text(value: object, style: str = "") -> Text:
    """`value` as a Rich `Text`, cleaned: shown literally, never parsed as markup. Anything
    that is not a string is shown as `str(value)`."""
    from rich.text import Text

    return Text(clean(value if isinstance(value, str) else str(value)), style=style, end="")


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# Every escape made once: a hostile text can hold thousands of them.
_ESCAPES = {chr(code): _escape(code)
            for first, last in UNSAFE_RANGES for code in range(first, last + 1)}


def _visible(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]
