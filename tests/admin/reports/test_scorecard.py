"""An officer's scorecard: totals, the trend, the period before, and reasons hidden from those who may not see them."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from admin.reports.scorecard import scorecard

from .reports_support import MON, WEEK, add_counts, add_reason_counts


def test_scorecard_totals_the_trend_and_the_period_before(w):
    add_counts(MON + timedelta(days=2), w.officer_a_id, w.desk_a_id, {3: 2, 1: 1})
    add_counts(MON + 2 * WEEK, w.officer_a_id, w.desk_a_id, {2: 1})
    add_counts(MON + 2 * WEEK + timedelta(days=5), w.officer_a_id, w.desk_a_id, {1: 1})  # after the range
    card = scorecard(w.officer_a_id, MON + timedelta(days=1), MON + 2 * WEEK + timedelta(days=1), True)
    assert card.officer.name == "Nguyễn Văn An"
    assert (card.ratings, card.satisfied, card.satisfaction_pct, card.mean_score) == (
        4, 3, Decimal("75.00"), Decimal("2.25"))
    assert card.counts == {1: 1, 2: 1, 3: 2}
    # Fifteen days go day by day, from the range's first day.
    assert card.trend.step == "day"
    assert [(p.start, p.ratings) for p in card.trend.points if p.ratings] == [
        (MON + timedelta(days=2), 3), (MON + 2 * WEEK, 1)]
    assert len(card.trend.points) == 15 and card.trend.points[0].counts == {1: 0, 2: 0, 3: 0}
    assert card.lower_bound_pct == Decimal("30.06")
    # The period before: as many days just before the range.
    assert (card.previous_ratings, card.previous_pct, card.change_points) == (0, None, None)
    add_counts(MON - timedelta(days=3), w.officer_a_id, w.desk_a_id, {3: 1, 1: 1})
    card = scorecard(w.officer_a_id, MON + timedelta(days=1), MON + 2 * WEEK + timedelta(days=1), True)
    assert (card.previous_ratings, card.previous_pct, card.change_points) == (2, Decimal("50.00"), Decimal("25.00"))


def test_scorecard_hides_integrity_reasons_from_officers(w):
    add_counts(MON, w.officer_a_id, w.desk_a_id, {1: 3})
    add_reason_counts(MON, w.officer_a_id, w.desk_a_id, {"slow": 2, "bribe": 1, "harassment": 1})
    hidden = scorecard(w.officer_a_id, MON, MON, include_integrity=False)
    shown = dict((r.code, n) for r, n in hidden.reasons)
    assert shown == {"slow": 2, "attitude": 0, "unclear": 0, "extra_papers": 0, "other": 0}
    assert not any(r.integrity for r, _ in hidden.reasons)
    assert "bribe" not in repr(hidden) and "harassment" not in repr(hidden)
    full = scorecard(w.officer_a_id, MON, MON, include_integrity=True)
    assert [(r.code, n) for r, n in full.reasons] == [
        ("slow", 2), ("attitude", 0), ("unclear", 0), ("extra_papers", 0), ("harassment", 1), ("bribe", 1), ("other", 0)]
    assert (hidden.ratings, hidden.counts) == (full.ratings, full.counts)


def test_scorecard_unknown_officer_raises_lookup_error(w):
    with pytest.raises(LookupError, match="No officer 99999"):
        scorecard(99999, MON, MON, False)
