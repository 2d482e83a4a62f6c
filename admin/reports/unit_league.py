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
from ..models import Desk, Unit
from ..scale import load_scale
from .ranking import rank_rows
from .rates import Figures, change_points, lower_bound_pct, tally
from .span import span_rows


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


def desk_counts(start: date, end: date, previous: tuple[date, date] | None = None) -> dict[tuple[int, bool], dict[int, int]]:
    """Ratings per score at each desk, for the period (True) and the one before (False).

    Grouped by desk, a small integer: desks are placed in their units
    afterwards (``unit_rows``), which costs far less than grouping millions
    of rows by a joined unit's path.
    """
    counts = span_rows((start, end), *([previous] if previous else []))
    current = case((counts.c.day >= start, True), else_=False).label("current")
    stmt = select(counts.c.desk_id, current, counts.c.score, func.sum(counts.c.count)).group_by(
        counts.c.desk_id, current, counts.c.score
    )
    out: dict[tuple[int, bool], dict[int, int]] = {}
    for desk_id, is_current, score, n in db.session.execute(stmt):
        out.setdefault((desk_id, bool(is_current)), {})[score] = int(n)
    return out


def unit_rows(units: list[Unit], by_desk: dict[tuple[int, bool], dict[int, int]]) -> list[UnitRow]:
    """Each of ``units`` with the counts of the desks of its subtree (``desk_counts``), this period and the one before."""
    scale = load_scale()
    unit_path = dict(db.session.execute(select(Desk.id, Unit.path).join(Unit, Unit.id == Desk.unit_id)).all())
    rows = []
    for unit in units:
        now: dict[int, int] = {}
        before: dict[int, int] = {}
        for (desk_id, is_current), counts in by_desk.items():
            if unit_path[desk_id].startswith(unit.path):
                into = now if is_current else before
                for score, n in counts.items():
                    into[score] = into.get(score, 0) + n
        figures, previous = tally(now, scale), tally(before, scale)
        rows.append(UnitRow(
            unit_id=unit.id,
            unit_name=unit.name,
            lower_bound_pct=lower_bound_pct(figures["satisfied"], figures["ratings"]),
            previous_ratings=previous["ratings"],
            previous_pct=previous["satisfaction_pct"],
            **figures,
        ))
    return rows


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
    rows = unit_rows(league_units(parent_id), desk_counts(start, end, previous))
    return rank_rows(
        rows,
        min_ratings,
        key=lambda r: (-(r.lower_bound_pct or 0), -r.ratings, r.unit_name, r.unit_id),
        merit=lambda r: (r.satisfaction_pct, r.ratings),
    )
