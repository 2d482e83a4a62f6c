"""The unit league table: the units just below a chosen unit, ranked by what their citizens said.

Each unit counts every rating made at a desk of its subtree (officer on
duty or not), so a district stands for all its communes. Units are ranked
like officers (``ranking``): by the lower bound of their satisfaction, with a
minimum number of ratings to be ranked at all, and each row carries the
period before's figures for the change. One grouped query reads both
periods from the daily counts, whatever the number of ratings.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select

from ..db import db
from ..models import DailyCount, Desk, Unit
from ..scale import Scale, load_scale
from .ranking import rank_rows
from .rates import Figures, change_points, lower_bound_pct, tally


@dataclass
class UnitRow(Figures):
    """One unit's line: its subtree's figures in the period and in the period before."""

    unit_id: int
    unit_name: str
    lower_bound_pct: Decimal | None
    previous_ratings: int = 0
    previous_pct: Decimal | None = None
    rank: int | None = None

    @property
    def change_points(self) -> Decimal | None:
        return change_points(self.satisfaction_pct, self.previous_pct)


def league_units(parent_id: int | None) -> list[Unit]:
    """The units a league compares: those just below ``parent_id``, or below the top units when None.

    A province with one top unit thus compares its districts and
    departments; a unit with nothing below it has no league.
    """
    if parent_id is not None:
        parents = [parent_id]
    else:
        parents = list(db.session.scalars(select(Unit.id).where(Unit.parent_id.is_(None))))
    stmt = select(Unit).where(Unit.parent_id.in_(parents), Unit.active.is_(True)).order_by(Unit.name, Unit.id)
    return list(db.session.scalars(stmt))


def _counts_by_unit_path(start: date, end: date, previous: tuple[date, date] | None) -> dict[tuple[str, bool], dict[int, int]]:
    """Ratings per score at the desks of each unit (keyed by the unit's path), for the period (True) and the one before (False).

    The daily counts are grouped by desk, a small integer, and desks are
    put in their units here: grouping millions of rows by a joined unit's
    path costs several times more.
    """
    first = previous[0] if previous else start
    current = case((DailyCount.day >= start, True), else_=False).label("current")
    stmt = (
        select(DailyCount.desk_id, current, DailyCount.score, func.sum(DailyCount.count))
        .where(DailyCount.day.between(first, end))
        .group_by(DailyCount.desk_id, current, DailyCount.score)
    )
    if previous:
        # The period before may not end the day before ``start`` (a custom span); skip the days between.
        stmt = stmt.where((DailyCount.day >= start) | (DailyCount.day <= previous[1]))
    unit_path = dict(db.session.execute(select(Desk.id, Unit.path).join(Unit, Unit.id == Desk.unit_id)).all())
    out: dict[tuple[str, bool], dict[int, int]] = {}
    for desk_id, is_current, score, n in db.session.execute(stmt):
        counts = out.setdefault((unit_path[desk_id], bool(is_current)), {})
        counts[score] = counts.get(score, 0) + int(n)
    return out


def _subtree_counts(unit: Unit, by_path: dict[tuple[str, bool], dict[int, int]], current: bool) -> dict[int, int]:
    total: dict[int, int] = {}
    for (path, is_current), counts in by_path.items():
        if is_current == current and path.startswith(unit.path):
            for score, n in counts.items():
                total[score] = total.get(score, 0) + n
    return total


def unit_row(unit: Unit, by_path: dict[tuple[str, bool], dict[int, int]], scale: Scale) -> UnitRow:
    now = tally(_subtree_counts(unit, by_path, True), scale)
    before = tally(_subtree_counts(unit, by_path, False), scale)
    return UnitRow(
        unit_id=unit.id,
        unit_name=unit.name,
        lower_bound_pct=lower_bound_pct(now["satisfied"], now["ratings"]),
        previous_ratings=before["ratings"],
        previous_pct=before["satisfaction_pct"],
        **now,
    )


def unit_league(
    parent_id: int | None,
    start: date,
    end: date,
    min_ratings: int = 30,
    previous: tuple[date, date] | None = None,
) -> tuple[list[UnitRow], list[UnitRow]]:
    """The units below ``parent_id`` (see ``league_units``) ranked: (ranked, too few ratings to rank).

    Ranked by the lower bound of satisfaction, then more ratings, then name;
    units level on satisfaction and ratings share a rank.
    """
    scale = load_scale()
    by_path = _counts_by_unit_path(start, end, previous)
    rows = [unit_row(unit, by_path, scale) for unit in league_units(parent_id)]
    return rank_rows(
        rows,
        min_ratings,
        key=lambda r: (-(r.lower_bound_pct or 0), -r.ratings, r.unit_name, r.unit_id),
        merit=lambda r: (r.satisfaction_pct, r.ratings),
    )
