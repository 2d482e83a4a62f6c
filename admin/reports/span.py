"""The counts of a span of days, read from as few rows as possible.

A span is cut into the whole calendar months it holds, read from
``monthly_counts`` (one row per officer, desk and score a month), and the
days at either end, read from ``daily_counts``. A half year is then six
monthly rows where it was some 180 daily ones. Every row carries a ``day``
inside the span: the month's first day for a monthly row, so a row never
reaches outside the span it was read for, and rows of two spans can be told
apart by their day.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Subquery, select, union_all

from ..models import DailyCount, MonthlyCount


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def split_span(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months of ``start``..``end`` (first day of the first, first day of the last) and the days left at either end."""
    first_month = start if start.day == 1 else next_month(start)
    after_last = next_month(end) if next_month(end) - timedelta(days=1) == end else end.replace(day=1)
    if first_month >= after_last:
        return None, [(start, end)]
    last_month = (after_last - timedelta(days=1)).replace(day=1)
    edges = []
    if start < first_month:
        edges.append((start, first_month - timedelta(days=1)))
    if after_last <= end:
        edges.append((after_last, end))
    return (first_month, last_month), edges


def span_rows(*spans: tuple[date, date]) -> Subquery:
    """A subquery of (day, officer_id, desk_id, score, count) covering each of ``spans`` exactly once.

    Spans must not overlap. Group its rows as the daily counts' would be
    grouped; a monthly row's ``day`` is its month's first day.
    """
    parts = []
    for start, end in spans:
        months, edges = split_span(start, end)
        if months:
            parts.append(
                select(MonthlyCount.day, MonthlyCount.officer_id, MonthlyCount.desk_id, MonthlyCount.score,
                       MonthlyCount.count).where(MonthlyCount.day.between(*months))
            )
        for first, last in edges:
            parts.append(
                select(DailyCount.day, DailyCount.officer_id, DailyCount.desk_id, DailyCount.score,
                       DailyCount.count).where(DailyCount.day.between(first, last))
            )
    return union_all(*parts).subquery("span") if len(parts) > 1 else parts[0].subquery("span")
