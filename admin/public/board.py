"""What the public board shows: each unit's satisfaction over two periods, and the published cases.

Read from the daily counts (``reports.daily_counts``), so the cost does not
grow with the number of ratings, only with days × desks × scores. A unit's
figures are those of its whole subtree: a district's include its communes'.
Ratings count where they were made, at the desk's unit, as in every report.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import case as when, func, select

from ..db import db
from ..models import Case, CaseRating, Desk, Officer, RatingReason, Reason, Unit
from ..periods import Period
from ..reports.rates import tally
from ..reports.span import span_rows
from ..scale import load_scale

# The published cases the board lists, most recently concluded first.
MAX_CASES = 200
# Indentation levels the style sheet knows; deeper units are drawn at the last.
MAX_DEPTH = 6


@dataclass(frozen=True)
class UnitFigures:
    """One line of the board: a unit at its depth in the tree, this period's totals and the previous ones."""

    name: str
    depth: int
    now: dict[str, Any]
    before: dict[str, Any]

    @property
    def change_points(self) -> Decimal | None:
        """The change in satisfaction, in percentage points; None unless both periods have ratings."""
        if self.now["satisfaction_pct"] is None or self.before["satisfaction_pct"] is None:
            return None
        return self.now["satisfaction_pct"] - self.before["satisfaction_pct"]


@dataclass(frozen=True)
class PublicCase:
    """A published case as the public reads it: nothing the citizen wrote, no internal id."""

    ref: str
    concluded_on: date
    unit: str
    # The kinds of misconduct: each integrity reason as (Vietnamese label, English label).
    reasons: tuple[tuple[str, str], ...]
    conclusion: str
    action: str
    officer: str | None


@dataclass(frozen=True)
class Board:
    period: Period
    previous: Period
    units: list[UnitFigures]
    cases: list[PublicCase]


def build_board(period: Period) -> Board:
    """Everything the board shows for ``period`` and the one before it."""
    previous = period.previous()
    return Board(
        period=period,
        previous=previous,
        units=unit_figures(period, previous),
        cases=published_cases(*concluded_between(previous.start, period.end)),
    )


def unit_figures(period: Period, previous: Period) -> list[UnitFigures]:
    """The active units in tree order (siblings by name), each with its subtree's totals in both periods.

    One grouped query over the counts of both periods (whole months from the
    monthly counts, ``reports.span``); the sums are
    carried up the tree here, along each unit's path.
    """
    scale = load_scale()
    counts = span_rows((previous.start, previous.end), (period.start, period.end))
    in_period = when((counts.c.day >= period.start, 1), else_=0)
    rows = db.session.execute(
        select(Desk.unit_id, in_period, counts.c.score, func.sum(counts.c.count))
        .join(Desk, Desk.id == counts.c.desk_id)
        .group_by(Desk.unit_id, in_period, counts.c.score)
    ).all()
    units = db.session.execute(select(Unit.id, Unit.name, Unit.parent_id, Unit.path, Unit.active)).all()
    paths = {unit.id: unit.path for unit in units}
    # counts[unit id][1 for this period, 0 for the previous][score]
    counts: dict[int, tuple[dict[int, int], dict[int, int]]] = {unit.id: ({}, {}) for unit in units}
    for unit_id, current, score, n in rows:
        for ancestor in _path_ids(paths.get(unit_id, "")):
            if ancestor in counts:
                bucket = counts[ancestor][current]
                bucket[score] = bucket.get(score, 0) + int(n)
    shown = {unit.id for unit in units if unit.active}
    children: dict[int | None, list] = {}
    for unit in units:
        if unit.id in shown:
            children.setdefault(unit.parent_id if unit.parent_id in shown else None, []).append(unit)
    out: list[UnitFigures] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (u.name, u.id)):
            before, now = counts[unit.id]
            out.append(UnitFigures(unit.name, min(depth, MAX_DEPTH), tally(now, scale), tally(before, scale)))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return out


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def concluded_between(first_day: date, last_day: date) -> tuple:
    """The condition "concluded from ``first_day`` to ``last_day``", local days in ``ADMIN_TIMEZONE``."""
    zone = current_app.config["TZ"]
    start = datetime.combine(first_day, time(), zone).astimezone(timezone.utc)
    end = datetime.combine(last_day, time.max, zone).astimezone(timezone.utc)
    return (Case.concluded_at.between(start, end),)


def published_cases(*where, limit: int = MAX_CASES) -> list[PublicCase]:
    """The published cases matching ``where``, most recently concluded first."""
    zone = current_app.config["TZ"]
    found = db.session.execute(
        select(Case, Unit.name, Officer.name)
        .join(Unit, Unit.id == Case.unit_id)
        .outerjoin(Officer, Officer.id == Case.officer_id)
        .where(Case.published_at.is_not(None), *where)
        .order_by(Case.concluded_at.desc(), Case.public_ref)
        .limit(limit)
    ).all()
    reasons = case_reasons([case.id for case, _unit, _officer in found])
    return [
        PublicCase(
            ref=case.public_ref,
            concluded_on=case.concluded_at.astimezone(zone).date(),
            unit=unit_name,
            reasons=reasons.get(case.id, ()),
            conclusion=case.conclusion,
            action=case.action,
            officer=officer_name if case.show_officer else None,
        )
        for case, unit_name, officer_name in found
    ]


def case_reasons(case_ids: list[int]) -> dict[int, tuple[tuple[str, str], ...]]:
    """The integrity reasons named by each case's complaints, (Vietnamese, English), in display order."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(CaseRating.case_id, Reason.label_vi, Reason.label_en)
        .join(RatingReason, RatingReason.rating_id == CaseRating.rating_id)
        .join(Reason, Reason.code == RatingReason.reason_code)
        .where(CaseRating.case_id.in_(case_ids), Reason.integrity.is_(True))
        .group_by(CaseRating.case_id, Reason.code, Reason.label_vi, Reason.label_en, Reason.position)
        .order_by(CaseRating.case_id, Reason.position, Reason.code)
    ).all()
    out: dict[int, tuple[tuple[str, str], ...]] = {}
    for case_id, label_vi, label_en in rows:
        out[case_id] = (*out.get(case_id, ()), (label_vi, label_en))
    return out
