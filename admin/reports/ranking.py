"""Officers ranked over a range, with a minimum number of ratings to be ranked at all."""
from __future__ import annotations

from datetime import date

from .officer_table import OfficerRow, officer_report

SORT_KEYS = ("satisfaction", "mean", "ratings", "name")


def _sort_key(sort: str):
    """The order of a ranking: best first, then more ratings, then by name."""
    if sort == "satisfaction":
        return lambda r: (-r.satisfaction_pct, -r.ratings, r.officer_name, r.officer_id)
    if sort == "mean":
        return lambda r: (-r.mean_score, -r.ratings, r.officer_name, r.officer_id)
    if sort == "ratings":
        return lambda r: (-r.ratings, r.officer_name, r.officer_id)
    if sort == "name":
        return lambda r: (r.officer_name, -r.ratings, r.officer_id)
    raise ValueError(f"Cách sắp xếp không hợp lệ: {sort!r}. / Unknown sort: {sort!r} (one of {', '.join(SORT_KEYS)}).")


def _merit(sort: str, row: OfficerRow) -> tuple:
    """What two officers must share to share a rank (the name only orders, it does not rank)."""
    if sort == "satisfaction":
        return (row.satisfaction_pct, row.ratings)
    if sort == "mean":
        return (row.mean_score, row.ratings)
    if sort == "ratings":
        return (row.ratings,)
    return (row.officer_id,)


def ranking(
    unit_id: int | None, start: date, end: date, min_ratings: int = 10, sort: str = "satisfaction"
) -> tuple[list[OfficerRow], list[OfficerRow]]:
    """Officers ranked over a range: (ranked, not ranked because they have too few ratings).

    Only officers with at least ``min_ratings`` ratings are ranked, so that
    one happy citizen does not put someone at the top. ``sort`` is one of
    ``satisfaction``, ``mean``, ``ratings`` (highest first) or ``name``;
    ties go to the officer with more ratings, then by name. Officers level
    on the sort value and on ratings share a rank (1, 2, 2, 4).
    """
    key = _sort_key(sort)
    rows = officer_report(start, end, unit_id)
    ranked = sorted((r for r in rows if r.ratings >= min_ratings), key=key)
    too_few = sorted((r for r in rows if r.ratings < min_ratings), key=key)
    for position, row in enumerate(ranked, start=1):
        before = ranked[position - 2] if position > 1 else None
        row.rank = before.rank if before and _merit(sort, before) == _merit(sort, row) else position
    return ranked, too_few
