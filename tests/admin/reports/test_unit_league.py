"""The unit league: the units just below a chosen one, each counting its subtree, ranked by the lower bound."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from admin.models import NO_OFFICER
from admin.reports.unit_league import league_units, unit_league

from .reports_support import add_counts

DAY = date(2026, 5, 4)
H1 = (date(2026, 1, 1), date(2026, 6, 30))
H2_2025 = (date(2025, 7, 1), date(2025, 12, 31))


def test_league_units_are_those_just_below(w):
    assert [u.id for u in league_units(None)] == [w.district_id]
    assert [u.name for u in league_units(w.district_id)] == ["UBND xã Hợp Thịnh", "UBND xã Mai Trung"]
    assert league_units(w.commune_a_id) == []


def test_units_rank_by_the_lower_bound_and_show_the_period_before(w):
    add_counts(DAY, w.officer_a_id, w.desk_a_id, {3: 30, 1: 10})     # A: 30 of 40, 75 %
    add_counts(DAY, w.officer_b_id, w.desk_b_id, {3: 12})            # B: 12 of 12, 100 %
    add_counts(date(2025, 9, 1), w.officer_b_id, w.desk_b_id, {3: 1, 1: 1})   # B before: 50 %
    add_counts(H1[1] + timedelta(days=1), w.officer_a_id, w.desk_a_id, {1: 50})  # after the period
    ranked, too_few = unit_league(w.district_id, *H1, min_ratings=10, previous=H2_2025)
    assert too_few == []
    assert [(r.rank, r.unit_name, r.ratings, r.satisfaction_pct, r.lower_bound_pct) for r in ranked] == [
        (1, "UBND xã Hợp Thịnh", 12, Decimal("100.00"), Decimal("75.75")),
        (2, "UBND xã Mai Trung", 40, Decimal("75.00"), Decimal("59.81")),
    ]
    b, a = ranked
    assert (b.previous_ratings, b.previous_pct, b.change_points) == (2, Decimal("50.00"), Decimal("50.00"))
    assert (a.previous_ratings, a.previous_pct, a.change_points) == (0, None, None)


def test_a_unit_counts_its_whole_subtree_and_ratings_with_nobody_on_duty(w):
    add_counts(DAY, w.officer_a_id, w.desk_a_id, {3: 6})
    add_counts(DAY, w.officer_b_id, w.desk_b_id, {1: 4})
    add_counts(DAY, NO_OFFICER, w.desk_a_id, {2: 5})
    ranked, too_few = unit_league(None, *H1, min_ratings=10)
    assert [(r.unit_name, r.ratings, r.satisfied) for r in ranked] == [("Huyện Hiệp Hoà", 15, 11)]
    ranked, too_few = unit_league(w.district_id, *H1, min_ratings=12)
    assert ranked == []
    assert [(r.unit_name, r.ratings, r.rank) for r in too_few] == [("UBND xã Mai Trung", 11, None), ("UBND xã Hợp Thịnh", 4, None)]


def test_units_level_on_rate_and_ratings_share_a_rank(w):
    add_counts(DAY, w.officer_a_id, w.desk_a_id, {3: 10})
    add_counts(DAY, w.officer_b_id, w.desk_b_id, {3: 10})
    ranked, _ = unit_league(w.district_id, *H1, min_ratings=10)
    assert [r.rank for r in ranked] == [1, 1]
