"""Watch alerts: raised by the watch rules, routed by role, acknowledged and closed with a note.

A rule calls ``raise_alert`` for every condition it finds, at every pass:
the first time opens an alert (and queues an e-mail to each person of the
alert's role whose unit covers it and who has an address); later passes
only note that the condition is still there. Once a person closes the alert,
the same condition raises a new one only after ``quiet_h`` hours.

Who sees what: an administrator sees every alert; a manager those of the
manager role in their unit tree; an inspector those of the inspector role in
theirs. Managers and viewers never see the inspectors' alerts.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, func, select
from sqlalchemy.exc import IntegrityError

from . import audit
from .access import visible_unit_root
from .alerts import deliveries
from .alerts.messages import watch_email
from .db import db, utcnow
from .models import WATCH_RULES, Unit, User, WatchAlert
from .refused import Refused
from .units import subtree_unit_ids_select, unit_ancestor_ids

MAX_NOTE = 2000
SNAPSHOT_FIELDS = ("status", "ack_note", "close_note")

class AlertRefused(Refused):
    """A change to an alert that cannot be made; ``field`` names the form field."""


def raise_alert(
    rule: str, key: str, unit_id: int, details: dict[str, Any], quiet: timedelta, *,
    officer_id: int | None = None, desk_id: int | None = None, kiosk_id: int | None = None,
) -> WatchAlert | None:
    """Open an alert for the condition ``key``, or note that its open alert still holds; the caller commits.

    Returns the new alert, or None when one was open already or closed less
    than ``quiet`` ago. Another process opening the same one at the same
    moment is caught by the unique ``open_key``.
    """
    now = utcnow()
    current = db.session.scalars(select(WatchAlert).where(WatchAlert.open_key == key)).first()
    if current is not None:
        current.last_seen_at = now
        current.details = details
        return None
    recently_closed = db.session.scalar(
        select(func.count()).select_from(WatchAlert)
        .where(WatchAlert.key == key, WatchAlert.closed_at > now - quiet)
    )
    if recently_closed:
        return None
    alert = WatchAlert(
        # A rule not (yet) given a role in ``models.WATCH_RULES`` goes to the administrators, who see every alert.
        rule=rule, role=WATCH_RULES.get(rule, "admin"), unit_id=unit_id, officer_id=officer_id, desk_id=desk_id,
        kiosk_id=kiosk_id, key=key, open_key=key, status="open", details=details, opened_at=now, last_seen_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(alert)
    except IntegrityError:
        return None
    audit.record("open", "watch_alert", alert.id, None, {"rule": rule, "key": key, **details}, actor="system")
    _queue_emails(alert)
    return alert


def alert_recipients(alert: WatchAlert) -> list[User]:
    """The active people of the alert's role who may see it: every administrator, or those whose unit covers it."""
    stmt = select(User).where(User.role == alert.role, User.active.is_(True))
    if alert.role != "admin":
        stmt = stmt.where(User.unit_id.in_(unit_ancestor_ids(db.session.get(Unit, alert.unit_id))))
    return list(db.session.scalars(stmt.order_by(User.username)))


def _queue_emails(alert: WatchAlert) -> None:
    if not current_app.config.get("SMTP_HOST"):
        return
    subject, body = watch_email(alert)
    for person in alert_recipients(alert):
        if person.email:
            deliveries.queue(f"watch:{alert.id}", "email", person.email, subject, body)


def visible_alerts(user: User, stmt: Select) -> Select:
    """``stmt`` over ``WatchAlert`` narrowed to what ``user`` may see."""
    if user.role == "admin":
        return stmt
    if user.role not in ("manager", "inspector"):
        return stmt.where(false())
    root = visible_unit_root(user)
    return stmt.where(WatchAlert.role == user.role, WatchAlert.unit_id.in_(subtree_unit_ids_select(root)))


def can_handle(user: User, alert: WatchAlert) -> bool:
    """Whether ``user`` may acknowledge and close ``alert``: one of its role who sees it, or an administrator."""
    if user.role == "admin":
        return True
    return user.role == alert.role and db.session.scalar(
        visible_alerts(user, select(func.count()).select_from(WatchAlert).where(WatchAlert.id == alert.id))
    ) == 1


def open_alert_count(user: User) -> int:
    """Alerts not yet acknowledged that ``user`` handles: the count on every console page."""
    stmt = select(func.count()).select_from(WatchAlert).where(WatchAlert.status == "open")
    if user.role == "admin":
        stmt = stmt.where(WatchAlert.role == "admin")
    return db.session.scalar(visible_alerts(user, stmt)) or 0


def _note(text: str | None, required: bool) -> str | None:
    text = (text or "").strip()
    if required and not text:
        raise AlertRefused("note", _l("Write what was done about it."))
    if len(text) > MAX_NOTE:
        raise AlertRefused("note", _l("A note may have at most %(n)d characters.", n=MAX_NOTE))
    return text or None


def acknowledge(alert: WatchAlert, user: User, note: str | None) -> None:
    """Say that someone is looking at ``alert`` (a note is optional)."""
    if alert.status != "open":
        raise AlertRefused("note", _l("This alert is already acknowledged or closed."))
    alert.ack_note = _note(note, required=False)
    alert.status = "acknowledged"
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = user.id


def close(alert: WatchAlert, user: User, note: str | None) -> None:
    """Close ``alert`` with a note saying what was done; the condition may raise a new one after ``quiet_h``."""
    if alert.status == "closed":
        raise AlertRefused("note", _l("This alert is already closed."))
    alert.close_note = _note(note, required=True)
    alert.status = "closed"
    alert.open_key = None
    alert.closed_at = utcnow()
    alert.closed_by_id = user.id
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by_id = alert.closed_at, user.id


def snapshot(alert: WatchAlert) -> dict:
    return audit.snapshot(alert, SNAPSHOT_FIELDS)
