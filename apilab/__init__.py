"""apilab: learn API development by doing."""

from __future__ import annotations

from apilab import iri_grammar

iri_grammar.defer()  # before anything imports jsonschema: see the module


def version() -> str:
    """This apilab's version, as installed ("unknown" when it runs without being installed)."""
    from importlib import metadata

    try:
        return metadata.version("apilab")
    except metadata.PackageNotFoundError:
        return "unknown"
