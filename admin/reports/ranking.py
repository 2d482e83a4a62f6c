"""The officer league table: officers ranked over a period, with a minimum number of ratings to be ranked at all.

By default officers are ranked by the lower bound of their satisfaction
(``rates.wilson_lower``): 9 satisfied of 10 ratings is less sure than 90 of
100, and the table should not put the lucky few above the many. Each row
carries the period before's figures, for the change.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, TypeVar

from .officer_table import OfficerRow, officer_report

R = TypeVar("R")
SORT_KEYS = ("confidence", "satisfaction", "mean", "ratings", "name")


def _sort_key(sort: str):
    """The order of a ranking: best first, then more ratings, then by name."""
    if sort == "confidence":
        return lambda r: (-r.lower_bound_pct, -r.ratings, r.officer_name, r.officer_id)
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
    if sort in ("confidence", "satisfaction"):
        return (row.satisfaction_pct, row.ratings)
    if sort == "mean":
        return (row.mean_score, row.ratings)
    if sort == "ratings":
        return (row.ratings,)
    return (row.officer_id,)


def ranking(
    unit_id: int | None,
    start: date,
    end: date,
    min_ratings: int = 10,
    sort: str = "confidence",
    previous: tuple[date, date] | None = None,
) -> tuple[list[OfficerRow], list[OfficerRow]]:
    """Officers ranked over a range: (ranked, not ranked because they have too few ratings).

    Only officers with at least ``min_ratings`` ratings are ranked, so that
    one happy citizen does not put someone at the top. ``sort`` is one of
    ``confidence`` (the lower bound of satisfaction), ``satisfaction``,
    ``mean``, ``ratings`` (highest first) or ``name``; ties go to the
    officer with more ratings, then by name. Officers level on the sort
    value and on ratings share a rank (1, 2, 2, 4). With ``previous`` (first
    and last day of the period before), each row gets that period's ratings
    and satisfaction.
    """
    key = _sort_key(sort)
    rows = officer_report(start, end, unit_id)
    if previous is not None:
        before = {row.officer_id: row for row in officer_report(*previous, unit_id)}
        for row in rows:
            if row.officer_id in before:
                row.previous_ratings = before[row.officer_id].ratings
                row.previous_pct = before[row.officer_id].satisfaction_pct
    return rank_rows(rows, min_ratings, key, lambda row: _merit(sort, row))


def rank_rows(rows: list[R], min_ratings: int, key: Callable[[R], Any], merit: Callable[[R], tuple]) -> tuple[list[R], list[R]]:
    """``rows`` with at least ``min_ratings`` ratings sorted by ``key`` and ranked, and the others sorted apart.

    Rows level on ``merit`` share a rank (1, 2, 2, 4); those with too few
    ratings get none.
    """
    ranked = sorted((r for r in rows if r.ratings >= min_ratings), key=key)
    too_few = sorted((r for r in rows if r.ratings < min_ratings), key=key)
    for position, row in enumerate(ranked, start=1):
        before = ranked[position - 2] if position > 1 else None
        row.rank = before.rank if before is not None and merit(before) == merit(row) else position
    return ranked, too_few
