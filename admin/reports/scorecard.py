"""One officer's scorecard: totals beside the period before, counts per level, reasons and the trend over a range."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from ..db import db
from ..models import DailyCount, DailyReasonCount, Officer, Reason
from ..periods import period_for
from ..scale import load_reasons, load_scale
from .rates import Figures, change_points, lower_bound_pct, tally
from .trend import Trend, trend


@dataclass
class Scorecard(Figures):
    """An officer's results over a range: totals, counts per score, reasons, the trend and the period before."""

    officer: Officer
    start: date
    end: date
    include_integrity: bool
    lower_bound_pct: Decimal | None
    reasons: list[tuple[Reason, int]]
    trend: Trend
    previous_ratings: int
    previous_pct: Decimal | None

    @property
    def change_points(self) -> Decimal | None:
        return change_points(self.satisfaction_pct, self.previous_pct)

    @property
    def officer_id(self) -> int:
        return self.officer.id


def scorecard(officer_id: int, start: date, end: date, include_integrity: bool) -> Scorecard:
    """The scorecard of officer ``officer_id`` from ``start`` to ``end``, beside the period before (``Period.previous``).

    Without ``include_integrity`` the misconduct reasons are not read at all,
    so neither they nor a total that contains them can reach the page: that
    is what an officer or a unit manager sees. Raises LookupError for an
    unknown officer.
    """
    officer = db.session.get(Officer, officer_id)
    if officer is None:
        raise LookupError(f"Không có cán bộ {officer_id}. / No officer {officer_id}.")
    scale = load_scale()
    over_time = trend(start, end, officer_id=officer_id)
    totals: dict[int, int] = {}
    for point in over_time.points:
        for score, n in point.counts.items():
            totals[score] = totals.get(score, 0) + n
    figures = tally(totals, scale)
    previous = period_for(start, end).previous()
    before = tally(_score_counts(officer_id, previous.start, previous.end), scale)
    return Scorecard(
        officer=officer,
        start=start,
        end=end,
        include_integrity=include_integrity,
        **figures,
        lower_bound_pct=lower_bound_pct(figures["satisfied"], figures["ratings"]),
        reasons=_reason_counts(officer_id, start, end, include_integrity),
        trend=over_time,
        previous_ratings=before["ratings"],
        previous_pct=before["satisfaction_pct"],
    )


def _score_counts(officer_id: int, start: date, end: date) -> dict[int, int]:
    stmt = (
        select(DailyCount.score, func.sum(DailyCount.count))
        .where(DailyCount.officer_id == officer_id, DailyCount.day.between(start, end))
        .group_by(DailyCount.score)
    )
    return {score: int(n) for score, n in db.session.execute(stmt)}


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
