"""jsonschema's IRI grammar is built when an IRI is checked, not whenever jsonschema is imported
(apilab.iri_grammar): the formats are checked as before, and a process that checks none never
pays the two seconds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("rfc3987_syntax")  # what jsonschema[format-nongpl] installs, with Jupyter

CHECKS = """
import json, sys
import apilab, nbformat, openapi_spec_validator
from jsonschema import FormatChecker
files = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
imported = "lark" in sys.modules  # as Hypothesis reads every loaded module's __file__
checker = FormatChecker()
verdicts = [checker.conforms(value, form) for value, form in [
    ("http://example.com/caf\\u00e9?q=1#top", "iri"), ("not an iri", "iri"),
    ("caf\\u00e9/b", "iri-reference"), ("http://[::1", "iri-reference")]]
print(json.dumps([imported, verdicts, "lark" in sys.modules]))
"""


def test_the_grammar_is_built_only_when_an_iri_is_checked_and_checks_as_before():
    result = subprocess.run([sys.executable, "-c", CHECKS], capture_output=True, text=True,
                            check=True, timeout=60)
    before_any_check, verdicts, after = json.loads(result.stdout)
    assert before_any_check is False, "importing nbformat and openapi-spec-validator built it"
    assert verdicts == [True, False, True, False]
    assert after is True, "the real grammar judged the IRIs"
