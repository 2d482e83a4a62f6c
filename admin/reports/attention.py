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
from ..models import Case, User
from ..units import subtree_unit_ids_select
from .officer_table import OfficerRow, officer_report
from .rates import wilson_upper
from .unit_league import UnitRow, unit_league

# Cases listed on the overview; the case list has the rest.
CASES_SHOWN = 5
# Fewer ratings than this put nobody on the list, however unhappy (as the league tables' default).
MIN_RATINGS = 10


def confidently_below(satisfied: int, ratings: int, threshold_pct: float) -> bool:
    """Whether a rate of ``satisfied / ratings`` is below ``threshold_pct`` with 95 % confidence, on enough ratings."""
    return ratings >= MIN_RATINGS and wilson_upper(satisfied, ratings) < threshold_pct / 100


def units_below(parent_id: int | None, start: date, end: date, threshold_pct: float) -> list[UnitRow]:
    """The units just below ``parent_id`` (as in the unit league) confidently below the threshold, worst first."""
    ranked, too_few = unit_league(parent_id, start, end, min_ratings=1)
    below = [row for row in ranked + too_few if confidently_below(row.satisfied, row.ratings, threshold_pct)]
    return sorted(below, key=lambda r: (wilson_upper(r.satisfied, r.ratings), r.unit_name, r.unit_id))


def officers_below(unit_id: int | None, start: date, end: date, threshold_pct: float) -> list[OfficerRow]:
    """The officers of ``unit_id``'s subtree (or all) confidently below the threshold, worst first."""
    rows = officer_report(start, end, unit_id)
    below = [row for row in rows if confidently_below(row.satisfied, row.ratings, threshold_pct)]
    return sorted(below, key=lambda r: (wilson_upper(r.satisfied, r.ratings), r.officer_name, r.officer_id))


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
