"""Secrets never leave a run in full: what the grader records of an exchange (headers, bodies,
URLs and the `curl` line) shows each token, key, password or client secret as its first
characters and its length, e.g. `eyJ0eXAi…(812 chars)`.

That is enough to tell two tokens apart and to see that one was sent, and useless to anyone
who reads a report, the progress store, a hub or a log. A secret is recognised by where it is
(an `Authorization` or `X-API-Key` header; a JSON member, form field or query parameter named
like `access_token`, `api_key` or `password`) and by its shape (a JWT). Once seen, a secret is
redacted wherever else it appears in the run, so a key that a server issued in a response body
is hidden in the later request that sends it back too. A record is hidden with the secrets known
when its exchange happened (`Redactor.as_of`), however late it is written out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key",
                            "cookie", "set-cookie"})
_NAMES = (r"access_token|refresh_token|id_token|token|api_?key|x-api-key|key|client_secret|secret|"
          r"password|code_verifier|code|assertion")
SECRET_NAMES = re.compile(rf"(?i)^(?:{_NAMES})$")
# A JSON member named like a secret, as it reads in a document without escapes.
_SECRET_MEMBER = re.compile(rf'(?i)"(?:{_NAMES})"\s*:')
# A compact JWS/JWT, possibly cut short by an excerpt: base64url JSON header, then payload.
JWT = re.compile(r"eyJ[\w-]{6,}\.[\w-]+(?:\.[\w-]*)?")
KEEP = 8  # characters of a secret that stay readable
MIN_SECRET = 8  # shorter values are not worth hiding, and replacing them would garble text
JWT_MARGIN = 8192  # characters searched past an excerpt's end: room for a whole token


def shorten(secret: str) -> str:
    """`secret` as its first characters and its length."""
    if len(secret) <= KEEP:
        return f"…({len(secret)} chars)"
    return f"{secret[:KEEP]}…({len(secret)} chars)"


class Redactor:
    """Remembers the secrets of one run and hides them in every text it is given."""

    def __init__(self) -> None:
        # Longest first, so that a secret inside another goes second; of equal length, the one
        # learnt first goes first (the sort is stable), so `as_of` keeps the order a filter.
        self._known: list[str] = []
        self._learnt: dict[str, int] = {}  # each secret, and how many were learnt before it

    @property
    def learnt(self) -> int:
        """How many secrets it has learnt so far: a point in the run, for `as_of`."""
        return len(self._learnt)

    def as_of(self, learnt: int) -> Redactor:
        """The redactor as it was when it had learnt `learnt` secrets: it hides what this one hid
        then, not the secrets it learnt afterwards."""
        if learnt == len(self._learnt):
            return self
        earlier = Redactor()
        earlier._known = [secret for secret in self._known if self._learnt[secret] < learnt]
        earlier._learnt = {secret: self._learnt[secret] for secret in earlier._known}
        return earlier

    def learn(self, secret: str) -> None:
        if len(secret) >= MIN_SECRET and secret not in self._learnt:
            self._learnt[secret] = len(self._learnt)
            self._known.append(secret)
            self._known.sort(key=len, reverse=True)

    def learn_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() in SECRET_HEADERS:
                scheme, space, credential = value.partition(" ")
                self.learn(credential if space and name.lower().endswith("authorization") else value)

    def learn_url(self, url: str) -> None:
        self._learn_pairs(parse_qsl(urlsplit(url).query, keep_blank_values=True))

    def learn_body(self, text: str) -> None:
        """Secrets in a JSON document's members or a form's fields named like secrets."""
        if not _may_name_a_secret(text):
            return
        try:
            self._learn_json(json.loads(text))
        except ValueError:
            if "=" in text and "\n" not in text.strip():
                self._learn_pairs(parse_qsl(text, keep_blank_values=True))

    def text(self, text: str) -> str:
        """`text` with every known secret, and every JWT, shortened."""
        for secret in self._known:
            if secret in text:
                text = text.replace(secret, shorten(secret))
        return JWT.sub(lambda match: shorten(match.group()), text) if "eyJ" in text else text

    def excerpt(self, text: str, limit: int) -> tuple[str, bool]:
        """The first `limit` characters of `text` with its secrets hidden, and whether it was cut.

        Only the start of a long text is searched, with a margin: a secret that begins before
        the cut lies whole inside it, so no excerpt ends with part of one.
        """
        margin = (len(self._known[0]) if self._known else 0) + JWT_MARGIN
        shown = self.text(text[:limit + margin])
        return shown[:limit], len(text) > limit or len(shown) > limit

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(name, self.text(value)) for name, value in headers]

    def _learn_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        for name, value in pairs:
            if SECRET_NAMES.match(name):
                self.learn(value)

    def _learn_json(self, document: Any) -> None:
        if isinstance(document, dict):
            for name, value in document.items():
                if isinstance(value, str) and SECRET_NAMES.match(name):
                    self.learn(value)
                else:
                    self._learn_json(value)
        elif isinstance(document, list):
            for value in document:
                self._learn_json(value)


def _may_name_a_secret(text: str) -> bool:
    """False only when `learn_body` could learn nothing from `text`, known without parsing it:
    no member named like a secret (each name reads as itself when the text has no escape), and
    no `=` for a form's fields. Most bodies are such, and parsing one costs more than the search."""
    return "=" in text or "\\" in text or _SECRET_MEMBER.search(text) is not None
