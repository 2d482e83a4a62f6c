"""Totals and rates of a group of ratings, rounded the way the reports print them.

Rates are rounded to two decimals half away from zero with integer
arithmetic, so 66.665 never turns into 66.66 through a binary float.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..scale import Scale


def round_ratio(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` of non-negative integers, to 2 decimals, half away from zero.

    None when ``denominator`` is 0. Exact: 17/8 = 2.125 gives 2.13.
    """
    if denominator == 0:
        return None
    hundredths = (200 * numerator + denominator) // (2 * denominator)
    return Decimal(hundredths).scaleb(-2)


def tally(counts: dict[int, int], scale: Scale) -> dict[str, Any]:
    """Totals of a group of ratings given its count per score.

    ``counts`` in the result has every score of the scale, zeros included
    (and any score a former, longer scale left in the data).
    """
    full = {score: 0 for score in scale.scores} | counts
    ratings = sum(full.values())
    satisfied = sum(n for score, n in full.items() if score >= scale.satisfied_from)
    return {
        "ratings": ratings,
        "satisfied": satisfied,
        "satisfaction_pct": round_ratio(100 * satisfied, ratings),
        "mean_score": round_ratio(sum(score * n for score, n in full.items()), ratings),
        "counts": full,
    }
