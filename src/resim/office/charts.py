"""Server-rendered SVG charts for the dashboard: geometry only, the template draws it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from resim.i18n import N_

COLORS = {
    "installed": "#0a7a3d",
    "approved": "#7cb342",
    "pending": "#f9a825",
    "rejected": "#b00020",
    "failed": "#6d4c41",
    "stopped": "#90a4ae",
}
ORDER = ["installed", "approved", "pending", "rejected", "failed", "stopped"]
LABELS = {
    "installed": N_("installed"),
    "approved": N_("approved, not installed yet"),
    "pending": N_("waiting"),
    "rejected": N_("rejected"),
    "failed": N_("failed"),
    "stopped": N_("stopped or withdrawn"),
}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]  # x, text under each day
    top: int  # the largest day's total (the axis' top)


def stacked_days(
    days: list[tuple[dt.date, dict[str, int]]], width: int = 720, height: int = 200
) -> Chart:
    """One stacked bar a day, one colour an outcome."""
    top = max([sum(counts.values()) for _, counts in days] + [1])
    slot = width / max(len(days), 1)
    bar_width = slot * 0.7
    plot = height - 20
    bars, labels = [], []
    for i, (day, counts) in enumerate(days):
        x = i * slot + (slot - bar_width) / 2
        y = float(plot)
        for outcome in ORDER:
            count = counts.get(outcome, 0)
            if not count:
                continue
            h = plot * count / top
            y -= h
            bars.append(
                Bar(x, y, bar_width, h, COLORS[outcome], f"{day.isoformat()} {outcome}: {count}")
            )
        labels.append((x + bar_width / 2, day.strftime("%d/%m")))
    return Chart(width, height, bars, labels, top)
