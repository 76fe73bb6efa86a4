"""The availability chart on a site's page: one bar per month (the uptime of queries.month_uptime), drawn
on the server as SVG; the table beside it says the same in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.wifi.domain import LOCAL

MONTHS_SHOWN = 12
WIDTH, HEIGHT = 440.0, 200.0  # narrow, like the map: readable on a phone
LEFT, RIGHT, TOP, BOTTOM = 44.0, 8.0, 12.0, 36.0  # room for the axis labels
TICKS = (0, 50, 100)


@dataclass(frozen=True)
class Bar:
    month: str  # 2026-11
    first_day: date
    uptime_percent: float | None  # None: nothing monitored in that month
    x: float
    y: float
    width: float
    height: float
    label_x: float


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    bars: list[Bar]
    ticks: list[tuple[int, float]]  # percent and its height on the chart
    baseline: float
    left: float


def months_since(created_at: datetime, now: datetime, at_most: int = MONTHS_SHOWN) -> list[str]:
    """The months (YYYY-MM, Bottrop's local time) from the one the site was registered in up to the
    current one, the latest `at_most` of them, oldest first."""
    first, last = created_at.astimezone(LOCAL), now.astimezone(LOCAL)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    months = []
    for back in range(min(max(count, 1), at_most) - 1, -1, -1):
        index = last.year * 12 + last.month - 1 - back
        months.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return months


def chart(months: list[dict[str, Any]]) -> Chart:
    """Bars for `months` (each as queries.month_uptime returns it), oldest first."""
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    width = min(slot * 0.7, 40.0)
    baseline = TOP + plot_height
    bars = []
    for index, item in enumerate(months):
        percent = item["total"]["uptime_percent"]
        height = plot_height * (percent or 0) / 100
        x = LEFT + index * slot + (slot - width) / 2
        year, number = (int(part) for part in item["month"].split("-"))
        bars.append(
            Bar(
                month=item["month"],
                first_day=date(year, number, 1),
                uptime_percent=percent,
                x=round(x, 1),
                y=round(baseline - height, 1),
                width=round(width, 1),
                height=round(height, 1),
                label_x=round(x + width / 2, 1),
            )
        )
    ticks = [(tick, round(baseline - plot_height * tick / 100, 1)) for tick in TICKS]
    return Chart(WIDTH, HEIGHT, bars, ticks, baseline, LEFT)
