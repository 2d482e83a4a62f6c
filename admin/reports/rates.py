"""Totals and rates of a group of ratings, rounded the way the reports print them.

Rates are rounded to two decimals half away from zero with integer
arithmetic, so 66.665 never turns into 66.66 through a binary float.
Where few citizens rated, a rate says little: the Wilson score interval
bounds what the rate could be with 95 % confidence, so that league tables
rank by what is known (the lower bound) and warnings fire on what is sure
(the upper bound below a threshold), not on the raw rate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
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


@dataclass
class Figures:
    """A group of ratings' totals, as ``tally`` counts them: the fields every report row shares."""

    ratings: int
    satisfied: int
    satisfaction_pct: Decimal | None
    mean_score: Decimal | None
    counts: dict[int, int]


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


def change_points(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """The change of a rate from the period before, in percentage points; None when either is missing."""
    return None if now is None or before is None else now - before


def lower_bound_pct(satisfied: int, total: int) -> Decimal | None:
    """``wilson_lower`` as a percentage to 2 decimals; None when nobody rated.

    A bound is an estimate, so rounding through a float is good enough here.
    """
    if total == 0:
        return None
    return Decimal(round(100 * wilson_lower(satisfied, total), 2)).quantize(Decimal("0.01"))


# z of a two-sided 95 % interval.
Z95 = 1.959964


def wilson_bounds(satisfied: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``satisfied / total`` as fractions; (0, 1) when nobody rated."""
    if total == 0:
        return 0.0, 1.0
    p = satisfied / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    scale = 1 + z * z / total
    return max(0.0, (centre - margin) / scale), min(1.0, (centre + margin) / scale)


def wilson_lower(satisfied: int, total: int) -> float:
    """At least this share is satisfied, with 95 % confidence (0 when nobody rated)."""
    return wilson_bounds(satisfied, total)[0]


def wilson_upper(satisfied: int, total: int) -> float:
    """At most this share is satisfied, with 95 % confidence (1 when nobody rated)."""
    return wilson_bounds(satisfied, total)[1]
