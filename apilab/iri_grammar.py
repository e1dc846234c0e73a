"""rfc3987_syntax, imported the first time it is used rather than when jsonschema is.

jsonschema imports rfc3987_syntax, when it is installed (Jupyter's packages install it), to check
the "iri" and "iri-reference" formats, and that module builds some thirty Earley parsers as it is
imported: about 1.8 s of CPU in every process that imports jsonschema through nbformat or
openapi-spec-validator (`apilab notebook --check`, `apilab verify`, the check of a served
OpenAPI document), for formats their schemas do not use. `defer()` puts a stand-in in its place
whose `is_valid_syntax` imports the real module when it is first called, so those formats are
checked exactly as before, only never paid for when they are not.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

NAME = "rfc3987_syntax"


class _StandIn(types.ModuleType):
    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            # What tools ask of every loaded module (Hypothesis reads each one's __file__ for
            # constants of local code) is no use of the grammar: answer as a module without it.
            raise AttributeError(name)
        return getattr(_real(), name)


def defer() -> None:
    """Put the stand-in in place, unless the module is missing or already imported."""
    if NAME in sys.modules:
        return
    spec = importlib.util.find_spec(NAME)
    if spec is None:
        return  # not installed: jsonschema does without, as it would have
    stand_in = _StandIn(NAME, __doc__)
    stand_in.__path__ = list(spec.submodule_search_locations or [])  # its submodules import as usual
    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[NAME] = stand_in


def is_valid_syntax(term: str, value: str) -> bool:
    """rfc3987_syntax.is_valid_syntax, from the real module."""
    return _real().is_valid_syntax(term, value)


def _real() -> types.ModuleType:
    if isinstance(sys.modules.get(NAME), _StandIn):
        del sys.modules[NAME]
    return importlib.import_module(NAME)
