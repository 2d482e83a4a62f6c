"""One officer's scorecard: totals, counts per level, reasons and weeks over a range."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ..db import db
from ..models import DailyCount, DailyReasonCount, Officer, Reason
from ..scale import load_reasons, load_scale
from .rates import tally


@dataclass
class WeekRow:
    """One ISO week of a scorecard, counting only the days inside the scorecard's range."""

    iso_year: int
    iso_week: int
    monday: date
    ratings: int
    satisfied: int
    satisfaction_pct: Decimal | None
    mean_score: Decimal | None
    counts: dict[int, int]


@dataclass
class Scorecard:
    """An officer's results over a range: totals, counts per score, reasons and weeks."""

    officer: Officer
    start: date
    end: date
    include_integrity: bool
    ratings: int
    satisfied: int
    satisfaction_pct: Decimal | None
    mean_score: Decimal | None
    counts: dict[int, int]
    reasons: list[tuple[Reason, int]]
    weeks: list[WeekRow]

    @property
    def officer_id(self) -> int:
        return self.officer.id


def scorecard(officer_id: int, start: date, end: date, include_integrity: bool) -> Scorecard:
    """The scorecard of officer ``officer_id`` from ``start`` to ``end``.

    Without ``include_integrity`` the misconduct reasons are not read at all,
    so neither they nor a total that contains them can reach the page: that
    is what an officer or a unit manager sees. Raises LookupError for an
    unknown officer.
    """
    officer = db.session.get(Officer, officer_id)
    if officer is None:
        raise LookupError(f"Không có cán bộ {officer_id}. / No officer {officer_id}.")
    scale = load_scale()
    in_range = (DailyCount.officer_id == officer_id, DailyCount.day.between(start, end))
    by_day = db.session.execute(
        select(DailyCount.day, DailyCount.score, func.sum(DailyCount.count))
        .where(*in_range)
        .group_by(DailyCount.day, DailyCount.score)
    ).all()
    totals: dict[int, int] = {}
    by_week: dict[date, dict[int, int]] = {}
    for day, score, n in by_day:
        totals[score] = totals.get(score, 0) + int(n)
        week = by_week.setdefault(day - timedelta(days=day.weekday()), {})
        week[score] = week.get(score, 0) + int(n)
    weeks = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        iso = monday.isocalendar()
        weeks.append(WeekRow(iso.year, iso.week, monday, **tally(by_week.get(monday, {}), scale)))
        monday += timedelta(days=7)
    return Scorecard(
        officer=officer,
        start=start,
        end=end,
        include_integrity=include_integrity,
        **tally(totals, scale),
        reasons=_reason_counts(officer_id, start, end, include_integrity),
        weeks=weeks,
    )


def _reason_counts(officer_id: int, start: date, end: date, include_integrity: bool) -> list[tuple[Reason, int]]:
    """Each visible reason with how often it was given; retired reasons only when given."""
    stmt = (
        select(DailyReasonCount.reason_code, func.sum(DailyReasonCount.count))
        .where(DailyReasonCount.officer_id == officer_id, DailyReasonCount.day.between(start, end))
        .group_by(DailyReasonCount.reason_code)
    )
    if not include_integrity:
        stmt = stmt.where(DailyReasonCount.reason_code.not_in(select(Reason.code).where(Reason.integrity.is_(True))))
    given = {code: int(n) for code, n in db.session.execute(stmt)}
    return [
        (reason, given.get(reason.code, 0))
        for reason in load_reasons(active_only=False)
        if (include_integrity or not reason.integrity) and (reason.active or reason.code in given)
    ]
