"""Spans of days cut into whole months and the days at either end, and the rows read for them."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from admin.db import db
from admin.reports.span import split_span, span_rows

from .reports_support import add_counts


def test_split_span_into_whole_months_and_edges():
    assert split_span(date(2026, 1, 1), date(2026, 6, 30)) == ((date(2026, 1, 1), date(2026, 6, 1)), [])
    assert split_span(date(2026, 1, 15), date(2026, 6, 10)) == (
        (date(2026, 2, 1), date(2026, 5, 1)), [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 6, 1), date(2026, 6, 10))])
    assert split_span(date(2026, 1, 15), date(2026, 2, 10)) == (None, [(date(2026, 1, 15), date(2026, 2, 10))])
    assert split_span(date(2026, 2, 1), date(2026, 2, 28)) == ((date(2026, 2, 1), date(2026, 2, 1)), [])
    assert split_span(date(2028, 2, 1), date(2028, 2, 28)) == (None, [(date(2028, 2, 1), date(2028, 2, 28))])  # leap year
    assert split_span(date(2026, 12, 1), date(2027, 1, 31)) == ((date(2026, 12, 1), date(2027, 1, 1)), [])


def test_span_rows_count_each_day_once_whatever_the_cut(w):
    for day in (date(2026, 1, 14), date(2026, 1, 15), date(2026, 3, 31), date(2026, 6, 10), date(2026, 6, 11)):
        add_counts(day, w.officer_a_id, w.desk_a_id, {3: 1})
    add_counts(date(2026, 2, 5), w.officer_b_id, w.desk_b_id, {1: 2})

    def total(*spans):
        rows = span_rows(*spans)
        return db.session.scalar(select(func.coalesce(func.sum(rows.c.count), 0)))

    assert total((date(2026, 1, 15), date(2026, 6, 10))) == 5
    assert total((date(2026, 1, 1), date(2026, 6, 30))) == 7
    assert total((date(2025, 7, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 1, 14))) == 1
    assert total((date(2026, 4, 1), date(2026, 4, 30))) == 0
    # Every row's day lies inside the span it was read for.
    rows = span_rows((date(2026, 1, 15), date(2026, 6, 10)))
    days = db.session.scalars(select(rows.c.day).distinct()).all()
    assert min(days) >= date(2026, 1, 15) and max(days) <= date(2026, 6, 10)
