"""Who is on duty at a desk: scheduled periods and sign-ins at the kiosk."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from .db import db
from .models import DutyPeriod


def on_duty(desk_id: int, at: datetime) -> DutyPeriod | None:
    """The duty period covering ``at`` at the desk (the latest begun, if several)."""
    stmt = (
        select(DutyPeriod)
        .where(
            DutyPeriod.desk_id == desk_id,
            DutyPeriod.starts_at <= at,
            or_(DutyPeriod.ends_at.is_(None), DutyPeriod.ends_at > at),
        )
        .order_by(DutyPeriod.starts_at.desc(), DutyPeriod.id.desc())
        .limit(1)
    )
    return db.session.execute(stmt).scalar_one_or_none()


def _cut_at(at: datetime, *conditions) -> None:
    """End at ``at`` every period matching ``conditions`` that is still running at ``at``."""
    for period in db.session.scalars(
        select(DutyPeriod).where(
            DutyPeriod.starts_at <= at, or_(DutyPeriod.ends_at.is_(None), DutyPeriod.ends_at > at), *conditions
        )
    ):
        period.ends_at = at


def sign_in(desk_id: int, officer_id: int, at: datetime) -> DutyPeriod:
    """The officer takes the desk at ``at``: whoever held it, and any other desk the officer held, is closed.

    A sign-in that arrives late, after later events were applied, lasts only
    until the desk's next period begins, so a desk never has two officers.
    """
    _cut_at(at, or_(DutyPeriod.desk_id == desk_id, DutyPeriod.officer_id == officer_id))
    next_start = db.session.scalar(
        select(func.min(DutyPeriod.starts_at)).where(DutyPeriod.desk_id == desk_id, DutyPeriod.starts_at > at)
    )
    period = DutyPeriod(desk_id=desk_id, officer_id=officer_id, starts_at=at, ends_at=next_start, origin="kiosk")
    db.session.add(period)
    return period


def sign_out(desk_id: int, officer_id: int, at: datetime) -> None:
    """The officer leaves the desk at ``at``."""
    _cut_at(at, DutyPeriod.desk_id == desk_id, DutyPeriod.officer_id == officer_id)


class DutyOverlap(ValueError):
    """A scheduled period would overlap another period at the same desk."""


def schedule(desk_id: int, officer_id: int, starts_at: datetime, ends_at: datetime | None) -> DutyPeriod:
    """Put an officer on duty at a desk from ``starts_at`` until ``ends_at`` (open-ended if None).

    A desk has one officer at a time, so a period that would overlap another
    at the desk is refused with ``DutyOverlap``; the caller commits.
    """
    if ends_at is not None and ends_at <= starts_at:
        raise ValueError("a duty period must end after it starts")
    overlaps = [
        or_(DutyPeriod.ends_at.is_(None), DutyPeriod.ends_at > starts_at),
    ]
    if ends_at is not None:
        overlaps.append(DutyPeriod.starts_at < ends_at)
    clash = db.session.execute(
        select(DutyPeriod.id).where(DutyPeriod.desk_id == desk_id, *overlaps).limit(1)
    ).first()
    if clash is not None:
        raise DutyOverlap("another duty period at this desk overlaps")
    period = DutyPeriod(desk_id=desk_id, officer_id=officer_id, starts_at=starts_at, ends_at=ends_at, origin="scheduled")
    db.session.add(period)
    return period


def end_period(period: DutyPeriod, at: datetime) -> None:
    """End a running or future period at ``at``; one that has not begun by then is shortened to nothing."""
    if period.ends_at is None or period.ends_at > at:
        period.ends_at = max(at, period.starts_at)
