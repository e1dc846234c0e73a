"""Renderers of a grader `Report`: for a terminal, as JSON, and as JUnit XML for CI.

    from grader.render import render
    print(render(report, "text", color=True))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from grader.report import Report

Format = Literal["text", "json", "junit"]
FORMATS: tuple[Format, ...] = ("text", "json", "junit")


def render(report: Report, fmt: Format = "text", color: bool = False, verbose: bool = False) -> str:
    """The report as `fmt`. `color` and `verbose` apply to text only.

    `verbose` also shows the exchanges of checks that passed. Raises ValueError for an unknown
    format.
    """
    # Each renderer is imported when asked for: a text report needs no XML library.
    if fmt == "text":
        from grader.render.text import render_text

        return render_text(report, color=color, verbose=verbose)
    if fmt == "json":
        from grader.render.json_report import render_json

        return render_json(report)
    if fmt == "junit":
        from grader.render.junit import render_junit

        return render_junit(report)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Format", "render"]
