"""Officers' sign-ins and sign-outs sent by a kiosk (POST /kiosk/duty), idempotent by UUID."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..db import db, utcnow
from ..duty import sign_in, sign_out
from ..models import DutyEvent, Kiosk, Officer
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
