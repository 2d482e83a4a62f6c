"""Totals and rates: rounding checked against values worked out by hand."""
from __future__ import annotations

from decimal import Decimal

from admin.reports.rates import round_ratio


def test_round_ratio_is_half_away_from_zero_and_exact():
    assert round_ratio(200, 3) == Decimal("66.67")
    assert round_ratio(100, 8) == Decimal("12.50")
    assert round_ratio(17, 8) == Decimal("2.13")  # 2.125; a binary float would give 2.12
    assert round(17 / 8, 2) == 2.12
    assert round_ratio(100, 3) == Decimal("33.33")
    assert round_ratio(0, 5) == Decimal("0.00")
    assert round_ratio(3, 0) is None
