"""Who needs attention in a period: units and officers confidently below the threshold, and open cases.

"Below" means the upper bound of satisfaction (``rates.wilson_upper``) is
under the threshold: even at its best, the true rate is lower. Three unhappy
citizens out of four do not put an officer on the list; thirty out of forty
do. Nobody is listed on fewer than ``MIN_RATINGS`` ratings. The threshold is
the watch rules' ``satisfaction_pct``, so the overview and the alerts to
managers agree.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..access import in_visible_units
from ..db import db
from ..models import NO_OFFICER, Case, Officer, User
from ..scale import load_scale
from ..units import subtree_unit_ids_select
from .officer_table import OfficerRow
from .rates import lower_bound_pct, tally, wilson_upper
from .span import span_rows
from .unit_league import UnitRow, league_units, unit_rows

# Cases listed on the overview; the case list has the rest.
CASES_SHOWN = 5
# Fewer ratings than this put nobody on the list, however unhappy (as the league tables' default).
MIN_RATINGS = 10


def confidently_below(satisfied: int, ratings: int, threshold_pct: float) -> bool:
    """Whether a rate of ``satisfied / ratings`` is below ``threshold_pct`` with 95 % confidence, on enough ratings."""
    return ratings >= MIN_RATINGS and wilson_upper(satisfied, ratings) < threshold_pct / 100


def officer_desk_counts(start: date, end: date) -> dict[tuple[int, int], dict[int, int]]:
    """Ratings per score of each officer at each desk from ``start`` to ``end``: one read serves both lists."""
    counts = span_rows((start, end))
    stmt = select(counts.c.officer_id, counts.c.desk_id, counts.c.score, func.sum(counts.c.count)).group_by(
        counts.c.officer_id, counts.c.desk_id, counts.c.score
    )
    out: dict[tuple[int, int], dict[int, int]] = {}
    for officer_id, desk_id, score, n in db.session.execute(stmt):
        out.setdefault((officer_id, desk_id), {})[score] = int(n)
    return out


def units_below(parent_id: int | None, counts: dict[tuple[int, int], dict[int, int]], threshold_pct: float) -> list[UnitRow]:
    """The units just below ``parent_id`` (as in the unit league) confidently below the threshold, worst first."""
    by_desk: dict[tuple[int, bool], dict[int, int]] = {}
    for (_, desk_id), scores in counts.items():
        into = by_desk.setdefault((desk_id, True), {})
        for score, n in scores.items():
            into[score] = into.get(score, 0) + n
    rows = unit_rows(league_units(parent_id), by_desk)
    below = [row for row in rows if confidently_below(row.satisfied, row.ratings, threshold_pct)]
    return sorted(below, key=lambda r: (wilson_upper(r.satisfied, r.ratings), r.unit_name, r.unit_id))


def officers_below(unit_id: int | None, counts: dict[tuple[int, int], dict[int, int]], threshold_pct: float) -> list[OfficerRow]:
    """The officers of ``unit_id``'s subtree (or all) confidently below the threshold, worst first.

    Only the officers found below are read from the database, with their units.
    """
    scale = load_scale()
    by_officer: dict[int, dict[int, int]] = {}
    for (officer_id, _), scores in counts.items():
        if officer_id != NO_OFFICER:
            into = by_officer.setdefault(officer_id, {})
            for score, n in scores.items():
                into[score] = into.get(score, 0) + n
    figures = {officer_id: tally(scores, scale) for officer_id, scores in by_officer.items()}
    below = [i for i, f in figures.items() if confidently_below(f["satisfied"], f["ratings"], threshold_pct)]
    stmt = select(Officer).options(joinedload(Officer.unit)).where(Officer.id.in_(below))
    if unit_id is not None:
        stmt = stmt.where(Officer.unit_id.in_(subtree_unit_ids_select(unit_id)))
    rows = [
        OfficerRow(
            officer_id=officer.id,
            officer_code=officer.code,
            officer_name=officer.name,
            unit_name=officer.unit.name,
            lower_bound_pct=lower_bound_pct(figures[officer.id]["satisfied"], figures[officer.id]["ratings"]),
            **figures[officer.id],
        )
        for officer in db.session.scalars(stmt)
    ]
    return sorted(rows, key=lambda r: (wilson_upper(r.satisfied, r.ratings), r.officer_name, r.officer_id))


class OpenCases(NamedTuple):
    """How many cases are open for a user, and the longest-waiting few."""

    count: int
    oldest: list[Case]


def open_cases(user: User, unit_id: int | None) -> OpenCases:
    """The cases not yet concluded in what ``user`` sees (and in ``unit_id``'s subtree), those opened first first."""
    where = [Case.status != "concluded"]
    if unit_id is not None:
        where.append(Case.unit_id.in_(subtree_unit_ids_select(unit_id)))
    count = db.session.scalar(in_visible_units(user, select(func.count()).select_from(Case).where(*where), Case.unit_id))
    stmt = (
        select(Case)
        .options(joinedload(Case.unit), joinedload(Case.officer))
        .where(*where)
        .order_by(Case.opened_at, Case.id)
        .limit(CASES_SHOWN)
    )
    return OpenCases(count or 0, list(db.session.scalars(in_visible_units(user, stmt, Case.unit_id))))


def waiting_days(case: Case, now: datetime) -> int:
    """Whole days since the case was opened."""
    return max(0, (now - case.opened_at).days)
