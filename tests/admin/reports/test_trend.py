"""The trend of a period: days, weeks or months by the period's length, buckets cut at its edges."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from admin.reports.trend import buckets, trend, trend_step

from .reports_support import add_counts


def test_the_step_follows_the_period_length():
    assert trend_step(date(2026, 2, 1), date(2026, 2, 28)) == "day"
    assert trend_step(date(2026, 1, 1), date(2026, 1, 31)) == "day"       # 31 days
    assert trend_step(date(2026, 1, 1), date(2026, 2, 1)) == "week"       # 32 days
    assert trend_step(date(2026, 10, 1), date(2026, 12, 31)) == "week"    # a quarter, 92 days
    assert trend_step(date(2026, 1, 1), date(2026, 4, 3)) == "month"      # 93 days
    assert trend_step(date(2026, 1, 1), date(2026, 6, 30)) == "month"     # the survey's half year


def test_buckets_are_cut_at_the_period_edges():
    weeks = buckets(date(2026, 10, 1), date(2026, 12, 31), "week")
    # 1 October 2026 is a Thursday: the first week holds four days, the last (from 28 December) four.
    assert weeks[0] == (date(2026, 10, 1), date(2026, 10, 4))
    assert weeks[1] == (date(2026, 10, 5), date(2026, 10, 11))
    assert weeks[-1] == (date(2026, 12, 28), date(2026, 12, 31))
    assert len(weeks) == 14
    months = buckets(date(2026, 1, 15), date(2026, 6, 30), "month")
    assert months[0] == (date(2026, 1, 15), date(2026, 1, 31))
    assert months[1] == (date(2026, 2, 1), date(2026, 2, 28))
    assert [m[0].month for m in months] == [1, 2, 3, 4, 5, 6]
    # A leap February, and December into January.
    assert buckets(date(2028, 2, 1), date(2028, 3, 1), "month") == [
        (date(2028, 2, 1), date(2028, 2, 29)), (date(2028, 3, 1), date(2028, 3, 1))]
    assert buckets(date(2026, 12, 30), date(2027, 1, 2), "day")[-1] == (date(2027, 1, 2), date(2027, 1, 2))


def test_trend_of_a_half_year_by_month_for_a_unit_and_an_officer(w):
    add_counts(date(2026, 1, 5), w.officer_a_id, w.desk_a_id, {3: 3, 1: 1})
    add_counts(date(2026, 1, 28), w.officer_a2_id, w.desk_a_id, {2: 1})
    add_counts(date(2026, 3, 2), w.officer_a_id, w.desk_a_id, {1: 2})
    add_counts(date(2026, 3, 2), w.officer_b_id, w.desk_b_id, {3: 5})
    add_counts(date(2026, 7, 1), w.officer_a_id, w.desk_a_id, {3: 9})   # after the half year
    unit = trend(date(2026, 1, 1), date(2026, 6, 30), unit_id=w.commune_a_id)
    assert unit.step == "month"
    assert [(p.start, p.ratings, p.satisfaction_pct) for p in unit.points] == [
        (date(2026, 1, 1), 5, Decimal("80.00")),
        (date(2026, 2, 1), 0, None),
        (date(2026, 3, 1), 2, Decimal("0.00")),
        (date(2026, 4, 1), 0, None),
        (date(2026, 5, 1), 0, None),
        (date(2026, 6, 1), 0, None),
    ]
    officer = trend(date(2026, 1, 1), date(2026, 6, 30), officer_id=w.officer_a_id)
    assert [p.ratings for p in officer.points] == [4, 0, 2, 0, 0, 0]
    everything = trend(date(2026, 1, 1), date(2026, 6, 30))
    assert [p.ratings for p in everything.points] == [5, 0, 7, 0, 0, 0]
    assert everything.points[2].counts == {1: 2, 2: 0, 3: 5}


def test_trend_of_a_quarter_by_week_counts_only_days_inside(w):
    add_counts(date(2026, 9, 30), w.officer_a_id, w.desk_a_id, {3: 4})   # the Wednesday before
    add_counts(date(2026, 10, 2), w.officer_a_id, w.desk_a_id, {3: 1})
    quarter = trend(date(2026, 10, 1), date(2026, 12, 31))
    assert quarter.step == "week"
    assert (quarter.points[0].start, quarter.points[0].ratings) == (date(2026, 10, 1), 1)
    assert sum(p.ratings for p in quarter.points) == 1
