"""Satisfaction over time: a period cut into days, weeks or months, whichever its length suits.

A month is read day by day, a quarter week by week, a half year or more
month by month, so that a chart has between about 4 and 31 points and no
six-month chart becomes 27 thin weeks of mostly nothing. Buckets are cut at
the period's edges: the first week of a quarter counts only its days inside
the quarter. One grouped query reads the daily counts of the whole period.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select

from ..db import db
from ..models import DailyCount, Desk
from ..scale import load_scale
from ..units import subtree_unit_ids_select
from .rates import Figures, tally
from .span import span_rows

# The longest period still shown day by day, and week by week.
DAILY_UP_TO_DAYS = 31
WEEKLY_UP_TO_DAYS = 92


@dataclass
class TrendPoint(Figures):
    """One bucket of the trend: its first and last day inside the period, and its figures."""

    start: date
    end: date


@dataclass
class Trend:
    """A period's points; ``step`` is ``day``, ``week`` or ``month``."""

    step: str
    points: list[TrendPoint]


def trend_step(start: date, end: date) -> str:
    """The bucket that suits a period from ``start`` to ``end``: day, week or month."""
    days = (end - start).days + 1
    if days <= DAILY_UP_TO_DAYS:
        return "day"
    if days <= WEEKLY_UP_TO_DAYS:
        return "week"
    return "month"


def bucket_start(day: date, step: str) -> date:
    """The first day of the day, ISO week or month that holds ``day`` (before cutting at the period's edge)."""
    if step == "day":
        return day
    if step == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_bucket(first: date, step: str) -> date:
    if step == "day":
        return first + timedelta(days=1)
    if step == "week":
        return first + timedelta(days=7)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def buckets(start: date, end: date, step: str) -> list[tuple[date, date]]:
    """The buckets of ``step`` from ``start`` to ``end``, each cut to the period."""
    out = []
    first = bucket_start(start, step)
    while first <= end:
        following = _next_bucket(first, step)
        out.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return out


def counts_by_day(
    spans: list[tuple[date, date]], unit_id: int | None = None, officer_id: int | None = None, monthly: bool = False
) -> dict[date, dict[int, int]]:
    """Ratings per score and day over ``spans``: of an officer, of the ratings made in a unit's subtree, or of all.

    With ``monthly``, whole months come as one entry on their first day
    (``span``), which is all a trend by month and a period's totals need.
    Ratings of a unit count where they were made (the desk's unit), officer
    on duty or not, as on the overview; an officer's, wherever they worked.
    """
    if monthly:
        counts = span_rows(*spans)
    else:
        counts = (
            select(DailyCount.day, DailyCount.officer_id, DailyCount.desk_id, DailyCount.score, DailyCount.count)
            .where(or_(*(DailyCount.day.between(first, last) for first, last in spans)))
            .subquery("span")
        )
    stmt = select(counts.c.day, counts.c.score, func.sum(counts.c.count)).group_by(counts.c.day, counts.c.score)
    if officer_id is not None:
        stmt = stmt.where(counts.c.officer_id == officer_id)
    if unit_id is not None:
        desks = select(Desk.id).where(Desk.unit_id.in_(subtree_unit_ids_select(unit_id)))
        stmt = stmt.where(counts.c.desk_id.in_(desks))
    out: dict[date, dict[int, int]] = {}
    for day, score, n in db.session.execute(stmt):
        out.setdefault(day, {})[score] = int(n)
    return out


def trend_of(start: date, end: date, by_day: dict[date, dict[int, int]]) -> Trend:
    """The trend from ``start`` to ``end`` of counts read by ``counts_by_day`` (days outside are left out)."""
    step = trend_step(start, end)
    by_bucket: dict[date, dict[int, int]] = {}
    for day, scores in by_day.items():
        if start <= day <= end:
            counts = by_bucket.setdefault(max(bucket_start(day, step), start), {})
            for score, n in scores.items():
                counts[score] = counts.get(score, 0) + n
    scale = load_scale()
    return Trend(
        step,
        [TrendPoint(start=first, end=last, **tally(by_bucket.get(first, {}), scale)) for first, last in buckets(start, end, step)],
    )


def trend(start: date, end: date, unit_id: int | None = None, officer_id: int | None = None) -> Trend:
    """The trend from ``start`` to ``end`` (see ``counts_by_day`` for what counts)."""
    monthly = trend_step(start, end) == "month"
    return trend_of(start, end, counts_by_day([(start, end)], unit_id, officer_id, monthly))
