"""The one table of headline figures: each figure, its baseline measured in the same run, the
ratio, and the goal the ratio must meet.

A benchmark module offers its headline figures with `figures(result) -> list[Figure]`; `python -m
bench` gathers them from every benchmark it ran, prints them as one table and saves the table
as JSON beside the results (see `bench/__main__.py`). The README's performance section shows the
latest table (`markdown`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure against its baseline. Times are medians, in milliseconds."""

    figure: str
    value_ms: float
    baseline: str
    baseline_ms: float
    ratio: float  # how the figure compares with its baseline (see the benchmark for how)
    goal: float | None = None  # the most the ratio may be; None for a figure shown for context

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.ratio <= self.goal

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met}


HEADERS = ("figure", "median", "baseline", "baseline median", "ratio", "goal", "")


def rows(figures: list[Figure]) -> list[tuple[str, ...]]:
    return [(f.figure, f"{f.value_ms:.0f} ms", f.baseline, f"{f.baseline_ms:.0f} ms",
             f"{f.ratio:.2f}x", "" if f.goal is None else f"≤ {f.goal:g}x",
             {True: "met", False: "NOT MET", None: ""}[f.met]) for f in figures]


def text(figures: list[Figure]) -> str:
    """The table for a terminal, columns aligned."""
    table = [HEADERS, *rows(figures)]
    widths = [max(len(row[column]) for row in table) for column in range(len(HEADERS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                     .rstrip() for row in table)


def markdown(figures: list[Figure]) -> str:
    """The table as Markdown, for the README."""
    lines = ["| " + " | ".join(HEADERS[:-1]) + " | |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(figures)]
    return "\n".join(lines)
