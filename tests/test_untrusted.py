"""The sanitizer for untrusted text: nothing it returns can drive a terminal or reorder what is
read, and what was sent stays readable."""

from __future__ import annotations

import json

import pytest
from rich.text import Text

from apilab.untrusted import UNSAFE, clean, clean_all, clean_json, json_is_clean, safe_text
from tests.helpers import HOSTILE, MARKUP_ATTACKS, TERMINAL_ATTACKS

# What a terminal reacts to: ESC and C1 introducers, their terminators, other C0 controls,
# and the bidi characters that reorder a line.
DRIVERS = {chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}
BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}


@pytest.mark.parametrize("name", TERMINAL_ATTACKS)
def test_every_terminal_attack_is_shown_as_visible_escapes(name):
    cleaned = clean(f"before {TERMINAL_ATTACKS[name]} after")
    assert not (set(cleaned) & (DRIVERS | BIDI)), repr(cleaned)
    assert cleaned.startswith("before ") and cleaned.endswith(" after")


def test_what_was_sent_stays_readable():
    assert clean("\x1b]0;OWNED\x1b\\") == "\\x1b]0;OWNED\\x1b\\"
    assert clean("\x1b]52;c;aGk=\x07") == "\\x1b]52;c;aGk=\\x07"
    assert clean("\x9b2J") == "\\x9b2J"
    assert clean("\u202eevil") == "\\u202eevil"
    assert clean("\ud800") == "\\ud800"  # a lone surrogate could not even be written out


def test_newlines_tabs_and_ordinary_text_are_kept():
    text = "Line one\n\tindented, «quoted», 日本語, emoji 🎉, Arabic مرحبا, Hebrew שלום"
    assert clean(text) == text
    assert clean("a\r\nb") == "a\nb"
    assert clean("a\rb") == "a\\x0db"  # a bare CR would overwrite the start of the line


def test_no_character_that_drives_a_terminal_gets_through():
    everything = "".join(chr(c) for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF)
    cleaned = clean(everything + "\ud800\udfff\ufffe\uffff")
    assert not UNSAFE.search(cleaned)
    assert not (set(cleaned) & (DRIVERS | BIDI))


def test_markup_is_left_alone_here_it_is_the_display_that_never_parses_it():
    for attack in MARKUP_ATTACKS.values():
        assert clean(attack) == attack


def test_clean_all_reaches_every_string_of_a_document():
    document = {"title\x1b": ["a\x9b", ("b\x07", 3)], "n": 1, "none": None, "ok": True}
    assert clean_all(document) == {"title\\x1b": ["a\\x9b", ("b\\x07", 3)], "n": 1,
                                   "none": None, "ok": True}


def test_safe_text_is_literal_and_clean():
    text = safe_text(HOSTILE, style="bold")
    assert isinstance(text, Text)
    assert text.plain == clean(HOSTILE)
    assert "[link=https://evil.example]click me[/link]" in text.plain  # not a link: text
    assert [span.style for span in text.spans] == [] and text.style == "bold"
    assert safe_text(42).plain == "42"


def test_clean_json_keeps_the_data_and_drops_the_controls():
    data = {"title": HOSTILE, "n": [1, "\x7f\x9b\u202e"]}
    document = clean_json(json.dumps(data, ensure_ascii=False))
    assert json.loads(document) == data
    assert not UNSAFE.search(document)
    assert "\\u009b" in document and "«" in document  # only what drives a terminal is escaped


def test_json_is_clean_never_passes_a_document_that_needs_cleaning():
    for code in range(0x3000):
        char = chr(code)
        document = json.dumps({"title": f"a{char}b"}, ensure_ascii=False)
        if clean(char) != char:
            assert not json_is_clean(document), repr(char)
    assert json_is_clean(json.dumps({"title": "tab\there\nline «ok» 日本"}, ensure_ascii=False))
