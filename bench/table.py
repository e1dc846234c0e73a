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
    """One measured figure against its baseline: medians, in milliseconds unless `unit` says
    otherwise (`value_ms` and `baseline_ms` then hold that unit)."""

    figure: str
    value_ms: float
    baseline: str
    baseline_ms: float
    ratio: float  # how the figure compares with its baseline (see the benchmark for how)
    goal: float | None = None  # the most the ratio may be; None for a figure shown for context
    unit: str = "ms"
    most: float | None = None  # the most the value itself may be, in `unit`, when that is the goal

    @property
    def met(self) -> bool | None:
        if self.goal is None and self.most is None:
            return None
        return (self.goal is None or self.ratio <= self.goal) and (
            self.most is None or self.value_ms < self.most)

    @property
    def goal_text(self) -> str:
        goals = [f"≤ {self.goal:g}x"] if self.goal is not None else []
        return " and ".join([*goals, *([f"< {self.most:g} {self.unit}"] if self.most else [])])

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met}


HEADERS = ("figure", "median", "baseline", "baseline median", "ratio", "goal", "")


def rows(figures: list[Figure]) -> list[tuple[str, ...]]:
    return [(f.figure, f"{f.value_ms:.0f} {f.unit}", f.baseline, f"{f.baseline_ms:.0f} {f.unit}",
             f"{f.ratio:.2f}x", f.goal_text,
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
