"""The geometry of the console's charts, worked out here so that templates only draw.

Charts are inline SVG drawn on the server: nothing to load, no script, and
the strict Content-Security-Policy holds (sizes are attributes, colours come
from the stylesheet). Each chart is drawn twice, for a wide screen and for a
phone, and the stylesheet shows one: an SVG scales its text with its width,
so one drawing cannot be readable on both. The narrow one has fewer labels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import format_date, gettext

from ..i18n import current_language, integer, percent
from ..reports.trend import Trend, TrendPoint

HEIGHT = 230
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 26, 40
# Drawing widths (SVG units) of the two versions and the most labels each can hold on the axis.
WIDE, NARROW = 720, 360
WIDE_LABELS, NARROW_LABELS = 12, 6
# The axis text's size (console.css) and a generous width per character, to keep labels apart.
FONT = 14
CHAR_WIDTH = 0.62 * FONT


@dataclass
class Column:
    """One column: its box, whether it is below the threshold or empty (nobody rated), its axis label (or none) and its value."""

    x: float
    y: float
    width: float
    height: float
    low: bool
    empty: bool
    label: str | None
    value: str | None
    title: str


@dataclass
class Chart:
    """A column chart of percentages, 0 to 100, with a dashed threshold line."""

    width: int
    height: int
    left: int
    bottom: float
    columns: list[Column]
    ticks: list[tuple[float, str]]
    threshold_y: float | None
    threshold_label: str


def point_label(point: TrendPoint, step: str) -> str:
    """A bucket as the axis names it: ``02/11`` for a day or a week (its first day), ``11/2026`` for a month."""
    if step == "month":
        return format_date(point.start, "MM/yyyy" if current_language() == "vi" else "MMM yyyy")
    return format_date(point.start, "dd/MM" if current_language() == "vi" else "d MMM")


def _y(pct: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - pct / 100)


def column_chart(trend: Trend, threshold_pct: float | None, width: int, max_labels: int) -> Chart:
    """The trend's satisfaction as columns in a drawing ``width`` wide, with at most ``max_labels`` axis labels."""
    points = trend.points
    slot = (width - LEFT - RIGHT) / max(len(points), 1)
    widest = max((len(point_label(p, trend.step)) for p in points), default=1)
    # Label every n-th column: no more than ``max_labels``, and each label clear of the next.
    every = max(-(-len(points) // max_labels), math.ceil((widest * CHAR_WIDTH + 8) / slot))
    show_values = len(points) <= max_labels
    columns = []
    for i, point in enumerate(points):
        label = point_label(point, trend.step)
        pct = float(point.satisfaction_pct) if point.satisfaction_pct is not None else None
        # A column of 0 % (everybody unhappy) is still drawn, as a sliver; an empty bucket only as a mark.
        top = min(_y(pct), _y(0) - 2) if pct is not None else _y(0) - 1
        columns.append(Column(
            x=round(LEFT + i * slot + slot * 0.15, 1),
            y=round(top, 1),
            width=round(slot * 0.7, 1),
            height=round(_y(0) - top, 1),
            low=pct is not None and threshold_pct is not None and pct < threshold_pct,
            empty=pct is None,
            label=label if i % every == 0 else None,
            value=percent(point.satisfaction_pct).replace(" %", "%") if show_values and pct is not None else None,
            title=gettext("%(when)s: %(pct)s, %(n)s ratings", when=label, pct=percent(point.satisfaction_pct),
                          n=integer(point.ratings)),
        ))
    return Chart(
        width=width,
        height=HEIGHT,
        left=LEFT,
        bottom=_y(0),
        columns=columns,
        ticks=[(_y(v), f"{v}%") for v in (0, 50, 100)],
        threshold_y=_y(threshold_pct) if threshold_pct is not None else None,
        threshold_label=percent(Decimal(str(threshold_pct))) if threshold_pct is not None else "",
    )


def trend_charts(trend: Trend, threshold_pct: float | None) -> tuple[Chart, Chart]:
    """The wide and the narrow drawing of a trend."""
    return (column_chart(trend, threshold_pct, WIDE, WIDE_LABELS),
            column_chart(trend, threshold_pct, NARROW, NARROW_LABELS))
