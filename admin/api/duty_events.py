"""Officers' sign-ins and sign-outs sent by a kiosk (POST /kiosk/duty), idempotent by UUID.

A kiosk's events start and end duty at its own desk only. The service never
sees the PIN (the kiosk checks it offline), so a kiosk token alone must not
take an officer away from another desk: a sign-in of an officer who is on
duty at another desk at the event's time is refused (``on_duty_elsewhere``)
and that desk keeps its officer. The officer signs out there first, or a
manager moves them on the console's duty pages.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from ..db import db, utcnow
from ..duty import sign_in, sign_out
from ..models import Desk, DutyEvent, DutyPeriod, Kiosk, Officer
from .idempotent import insert_new, settle, validate_items
from .wire import BatchResult, ItemError, parse_instant

ACTIONS = ("sign_in", "sign_out")


def store_duty_events(kiosk: Kiosk, items: list[dict[str, Any]]) -> BatchResult:
    """Validate, store and apply a batch of duty events, idempotent by UUID; the caller commits."""
    result = BatchResult()
    unit_officers = set(
        db.session.scalars(select(Officer.id).where(Officer.unit_id == kiosk.desk.unit_id))
    )
    rows, order = validate_items(items, lambda item: _validate_event(item, kiosk.id, unit_officers), result)
    order = _refuse_sign_ins_elsewhere(kiosk.desk_id, rows, order, result)

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


def _refuse_sign_ins_elsewhere(
    desk_id: int, rows: dict[str, dict[str, Any]], order: list[tuple[str, str]], result: BatchResult
) -> list[tuple[str, str]]:
    """Reject the new sign-ins of officers on duty at another desk at their time; the order of the rest.

    An event already stored is left to ``settle``: sent again after a lost
    acknowledgement, it is a duplicate whatever happened since.
    """
    sign_ins = {key: row for key, row in rows.items() if row["action"] == "sign_in"}
    if not sign_ins:
        return order
    known = set(db.session.scalars(
        select(DutyEvent.uuid).where(DutyEvent.uuid.in_([uuid.UUID(key) for key in sign_ins]))
    ))
    refused = {}
    for key, row in sign_ins.items():
        if uuid.UUID(key) not in known:
            desk_name = _desk_held_elsewhere(desk_id, row["officer_id"], row["at"])
            if desk_name is not None:
                refused[key] = ItemError("on_duty_elsewhere", (
                    f"Officer {row['officer_id']} is on duty at another desk ({desk_name}) at that time: "
                    "they sign out there first, or a manager moves them in the console."
                ))
    if not refused:
        return order
    for item_id, key in order:
        if key in refused:
            result.reject(item_id, refused[key])
            del rows[key]
    return [(item_id, key) for item_id, key in order if key not in refused]


def _desk_held_elsewhere(desk_id: int, officer_id: int, at: datetime) -> str | None:
    """The name of a desk other than ``desk_id`` where the officer is on duty at ``at``, or None."""
    return db.session.scalar(
        select(Desk.name).join(DutyPeriod, DutyPeriod.desk_id == Desk.id).where(
            DutyPeriod.officer_id == officer_id, DutyPeriod.desk_id != desk_id, DutyPeriod.starts_at <= at,
            or_(DutyPeriod.ends_at.is_(None), DutyPeriod.ends_at > at),
        ).limit(1)
    )


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
