"""apilab: learn API development by doing."""

from __future__ import annotations


def version() -> str:
    """This apilab's version, as installed ("unknown" when it runs without being installed)."""
    from importlib import metadata

    try:
        return metadata.version("apilab")
    except metadata.PackageNotFoundError:
        return "unknown"
