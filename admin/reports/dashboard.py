"""The figures at the top of the console: today's and the period's ratings, and kiosks down."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..db import db, utcnow
from ..kiosks import is_online
from ..models import Desk, Kiosk
from ..periods import Period
from ..scale import load_scale
from ..units import subtree_unit_ids_select
from .rates import round_ratio, tally
from .trend import counts_by_day, trend_of, trend_step


# Offline kiosks listed by name, longest silent first; the count covers them all.
OFFLINE_SHOWN = 20


def _sum_days(by_day: dict[date, dict[int, int]], first: date, last: date) -> dict[int, int]:
    """Ratings per score over the days from ``first`` to ``last`` of ``by_day``."""
    total: dict[int, int] = {}
    for day, scores in by_day.items():
        if first <= day <= last:
            for score, n in scores.items():
                total[score] = total.get(score, 0) + n
    return total


class OfflineKiosk(NamedTuple):
    kiosk: Kiosk
    desk: Desk
    last_seen_at: datetime | None


def dashboard_figures(
    unit_id: int | None, period: Period, today: date, now: datetime | None = None
) -> dict[str, Any]:
    """The figures at the top of the console, for a unit's subtree or everything.

    Ratings count where they were made (the desk's unit), including those
    made with nobody on duty; the period's figures come with those of the
    period before (``Period.previous``) and the change. Kiosks are online or
    not by ``kiosks.is_online``; revoked kiosks are left out, they are not
    expected to call. Offline kiosks come longest-silent first.
    """
    scale = load_scale()
    previous = period.previous()
    # One read of both periods gives their totals and the trend (by month, whole months come
    # as one entry each); today is read apart, from the daily counts.
    monthly = trend_step(period.start, period.end) == "month"
    by_day = counts_by_day([(previous.start, previous.end), (period.start, period.end)], unit_id, monthly=monthly)
    today_tally = tally(counts_by_day([(today, today)], unit_id).get(today, {}), scale)
    period_tally = tally(_sum_days(by_day, period.start, period.end), scale)
    previous_tally = tally(_sum_days(by_day, previous.start, previous.end), scale)

    now = now or utcnow()
    stmt = (
        select(Kiosk, Desk)
        .join(Desk, Desk.id == Kiosk.desk_id)
        .options(joinedload(Desk.unit))
        .where(Kiosk.enabled.is_(True))
    )
    if unit_id is not None:
        stmt = stmt.where(Desk.unit_id.in_(subtree_unit_ids_select(unit_id)))
    online = 0
    offline: list[OfflineKiosk] = []
    for kiosk, desk in db.session.execute(stmt):
        if is_online(kiosk, now):
            online += 1
        else:
            offline.append(OfflineKiosk(kiosk, desk, kiosk.last_seen_at))
    offline.sort(key=lambda k: (k.last_seen_at is not None, k.last_seen_at or now, k.kiosk.id))
    return {
        "ratings_today": today_tally["ratings"],
        "satisfied_today": today_tally["satisfied"],
        "pct_today": today_tally["satisfaction_pct"],
        "ratings_period": period_tally["ratings"],
        "satisfied_period": period_tally["satisfied"],
        "pct_period": period_tally["satisfaction_pct"],
        "mean_period": period_tally["mean_score"],
        "previous": previous,
        "trend": trend_of(period.start, period.end, by_day),
        "ratings_previous": previous_tally["ratings"],
        "pct_previous": previous_tally["satisfaction_pct"],
        # Change in ratings as a share of the previous count; in satisfaction, in percentage points.
        "ratings_change_pct": round_ratio(100 * (period_tally["ratings"] - previous_tally["ratings"]),
                                          previous_tally["ratings"]),
        "pct_change_points": (
            None if period_tally["satisfaction_pct"] is None or previous_tally["satisfaction_pct"] is None
            else period_tally["satisfaction_pct"] - previous_tally["satisfaction_pct"]
        ),
        "kiosks_online": online,
        "kiosks_offline": len(offline),
        "offline_kiosks": offline[:OFFLINE_SHOWN],
    }
