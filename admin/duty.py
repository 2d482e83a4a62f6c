"""Who is on duty at a desk: scheduled periods and sign-ins at the kiosk."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from .db import db, utcnow
from .idempotent import insert_new, settle, validate_items
from .models import DutyEvent, DutyPeriod, Kiosk, Officer
from .wire import BatchResult, ItemError, parse_instant

ACTIONS = ("sign_in", "sign_out")


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


def store_duty_events(kiosk: Kiosk, items: list[dict[str, Any]]) -> BatchResult:
    """Validate, store and apply a batch of duty events, idempotent by UUID; the caller commits."""
    result = BatchResult()
    unit_officers = set(
        db.session.scalars(select(Officer.id).where(Officer.unit_id == kiosk.desk.unit_id))
    )
    rows, order = validate_items(items, lambda item: _validate_event(item, kiosk.id, unit_officers), result)

    inserted = insert_new(DutyEvent.__table__, [{**row, "uuid": uuid.UUID(key)} for key, row in rows.items()])
    pending = [uuid.UUID(key) for _, key in order if key not in inserted]
    stored = {
        str(e.uuid): (e.kiosk_id, e.officer_id, e.action, e.at)
        for e in db.session.scalars(select(DutyEvent).where(DutyEvent.uuid.in_(pending)))
    } if pending else {}
    settle(result, order, inserted, stored, {k: _event_content(r) for k, r in rows.items()}, "duty event")
    # Events from a kiosk that was offline arrive late and together: apply them
    # in time order. A kiosk clock ahead of ours must not schedule the future:
    # such an event takes effect now.
    now = utcnow()
    latest = now + timedelta(seconds=current_app.config["CLOCK_TOLERANCE_S"])
    for row in sorted((rows[k] for k in inserted), key=lambda r: r["at"]):
        apply = sign_in if row["action"] == "sign_in" else sign_out
        apply(kiosk.desk_id, row["officer_id"], row["at"] if row["at"] <= latest else now)
    return result


def _validate_event(item: dict[str, Any], kiosk_id: int, unit_officers: set[int]) -> dict[str, Any]:
    officer_id = item.get("officer_id")
    if not isinstance(officer_id, int) or isinstance(officer_id, bool) or officer_id not in unit_officers:
        raise ItemError("unknown_officer", "officer_id must be an officer of this kiosk's unit.")
    action = item.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise ItemError("invalid_action", "action must be 'sign_in' or 'sign_out'.")
    at = parse_instant(item.get("at"), "at")
    return {"kiosk_id": kiosk_id, "officer_id": officer_id, "action": action, "at": at}


def _event_content(row: dict[str, Any]) -> tuple:
    return (row["kiosk_id"], row["officer_id"], row["action"], row["at"])


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
