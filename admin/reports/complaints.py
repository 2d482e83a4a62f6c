"""The inspectors' list of misconduct complaints: ratings that name an integrity reason.

Read from the single ratings, not the daily counts: an inspector needs the
officer, desk, kiosk and time of each one.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..db import db
from ..models import Desk, Kiosk, Officer, Rating, RatingReason, Reason, Unit
from ..scale import load_reasons
from ..units import subtree_unit_ids_select


@dataclass
class Complaint:
    """A rating that carries a misconduct reason, with what an inspector needs to follow it up."""

    rating_id: int
    uuid: uuid.UUID
    score: int
    day: date
    officer: Officer | None
    desk: Desk
    unit: Unit
    kiosk: Kiosk
    created_at: datetime
    received_at: datetime
    clock_flag: bool
    reasons: list[Reason]
    comment: str | None


def integrity_complaints(unit_id: int | None, start: date, end: date, limit: int = 500) -> list[Complaint]:
    """Ratings from ``start`` to ``end`` with an integrity reason, newest received first.

    For inspectors only: it names the officer. With ``unit_id``, ratings
    made at that unit's desks or below. ``reasons`` lists all the reasons
    the citizen chose, integrity or not.
    """
    flagged = (
        select(RatingReason.rating_id)
        .join(Reason, Reason.code == RatingReason.reason_code)
        .where(Reason.integrity.is_(True))
    )
    stmt = (
        select(Rating, Unit)
        .join(Unit, Unit.id == Rating.unit_id)
        .where(Rating.id.in_(flagged), Rating.day.between(start, end))
        .options(
            joinedload(Rating.officer),
            joinedload(Rating.desk),
            joinedload(Rating.kiosk),
            selectinload(Rating.reasons),
        )
        .order_by(Rating.received_at.desc(), Rating.id.desc())
        .limit(limit)
    )
    if unit_id is not None:
        stmt = stmt.where(Rating.unit_id.in_(subtree_unit_ids_select(unit_id)))
    reasons = load_reasons(active_only=False)
    out = []
    for rating, unit in db.session.execute(stmt):
        codes = {link.reason_code for link in rating.reasons}
        out.append(
            Complaint(
                rating_id=rating.id,
                uuid=rating.uuid,
                score=rating.score,
                day=rating.day,
                officer=rating.officer,
                desk=rating.desk,
                unit=unit,
                kiosk=rating.kiosk,
                created_at=rating.created_at,
                received_at=rating.received_at,
                clock_flag=rating.clock_flag,
                reasons=[reason for reason in reasons if reason.code in codes],
                comment=rating.comment,
            )
        )
    return out
