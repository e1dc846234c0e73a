"""Markdown written by someone else (a mentor's feedback), made safe to read: the parser the
apps render it with shows where each link and image points, a preview turns it into one line of
plain text, and `escape` keeps untrusted words that we put into a document of our own literal.

The text itself is cleaned by the caller (`apilab.untrusted.clean`) before it gets here; this
module deals with what Markdown could hide, not with what a terminal could do. No Textual here.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

# Every character that means something somewhere in Markdown; a backslash makes each literal.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")
_LITERAL_LINKS = ("autolink", "linkify")  # links whose visible text is already their target


def parser() -> MarkdownIt:
    """A GitHub-like Markdown parser that writes each link's target after its text and each
    image's source after its description, so no link hides where it goes."""
    md = MarkdownIt("gfm-like")
    md.core.ruler.push("show_link_targets", _show_link_targets)
    return md


def escape(text: str) -> str:
    """`text` as literal Markdown inline text: markup characters backslash-escaped, line breaks
    made spaces (so it cannot start a heading, a list or a new block)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))


def preview(markdown: str, width: int = 90) -> str:
    """The first paragraph, heading, list item or code of `markdown` as one line of plain text
    (emphasis, code marks and link syntax gone), cut to `width` characters with an ellipsis."""
    for token in MarkdownIt("gfm-like").parse(markdown):
        if token.type == "inline":
            words = _plain(token.children or [])
        elif token.type in ("fence", "code_block"):
            words = token.content
        else:
            continue
        line = " ".join(words.split())
        if line:
            return line if len(line) <= width else line[:width - 1].rstrip() + "…"
    return ""


def _plain(children: list[Token]) -> str:
    parts = []
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(_plain(token.children or []))
    return "".join(parts)


def _show_link_targets(state: StateCore) -> None:
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = list(_with_targets(block.children))


def _with_targets(children: list[Token]) -> list[Token]:
    shown: list[Token] = []
    targets: list[str] = []
    for token in children:
        shown.append(token)
        if token.type == "link_open":
            literal = token.markup in _LITERAL_LINKS
            targets.append("" if literal else str(token.attrGet("href") or ""))
        elif token.type == "link_close" and targets and (target := targets.pop()):
            shown.append(_text(f" <{target}>"))
        elif token.type == "image" and token.attrGet("src"):
            shown.append(_text(f" <{token.attrGet('src')}>"))
    return shown


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token
