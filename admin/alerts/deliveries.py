"""The queue of alerts to send: kept in the database, retried with backoff, sent once.

A delivery is queued in the transaction that raises its alert, so nothing
is lost between the two. A worker takes a due delivery by setting its lease
in a committed conditional UPDATE, so two processes never send the same one
at once; it sends, then marks it sent. A failed send is tried again after
``retry_s`` seconds, doubling up to ``retry_max_s``, for as long as it
takes: an outage delays alerts and loses none. Only a process that stops
between sending and marking (a crash) can send one twice, after its lease
ends; the e-mail then carries the same Message-ID and the webhook call the
same delivery id, so the receiver can tell.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..db import db, utcnow, write_transaction
from ..models import Delivery
from . import ALERT_SETTINGS

log = logging.getLogger(__name__)

# Longer than a send can take (the channels' timeouts are 30 s at most).
LEASE = timedelta(minutes=5)
# Deliveries looked at per pass; the worker passes again while some were due.
BATCH = 50
MAX_ERROR = 1000

Send = Callable[[Delivery], None]


class DeliveryFailed(Exception):
    """A channel could not deliver; the message says why, for the console and the log."""


def queue(event: str, channel: str, recipient: str, subject: str, body: str) -> None:
    """Add a delivery to the session, committed with the caller's change; nothing if already queued."""
    queued = db.session.scalar(
        select(Delivery.id).where(Delivery.event == event, Delivery.channel == channel, Delivery.recipient == recipient)
    )
    if queued is None:
        now = utcnow()
        db.session.add(Delivery(
            event=event, channel=channel, recipient=recipient, subject=subject, body=body,
            created_at=now, next_attempt_at=now, attempts=0,
        ))


def backoff(attempts: int, settings: Mapping[str, int]) -> timedelta:
    """The wait after the ``attempts``-th failed try: ``retry_s``, doubling, at most ``retry_max_s``."""
    return timedelta(seconds=min(settings["retry_s"] * 2 ** min(attempts - 1, 30), settings["retry_max_s"]))


def _due(now: datetime) -> list[int]:
    return list(db.session.scalars(
        select(Delivery.id)
        .where(Delivery.sent_at.is_(None), Delivery.next_attempt_at <= now,
               or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(BATCH)
    ))


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Take a due delivery for this process until its lease ends; None if another took it first."""
    write_transaction()
    taken = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.sent_at.is_(None), Delivery.next_attempt_at <= now,
               or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
        .values(lease_until=now + LEASE, attempts=Delivery.attempts + 1)
    ).rowcount
    db.session.commit()
    return db.session.get(Delivery, delivery_id) if taken else None


def _settle(delivery: Delivery, error: str | None) -> None:
    """Record the outcome of a try: sent, or when to try again."""
    write_transaction()
    now = utcnow()
    delivery.lease_until = None
    if error is None:
        delivery.sent_at = now
        delivery.last_error = None
    else:
        delivery.last_error = error[:MAX_ERROR]
        delivery.next_attempt_at = now + backoff(delivery.attempts, ALERT_SETTINGS.load())
    db.session.commit()


def send_due(senders: Mapping[str, Send]) -> tuple[int, int]:
    """Send the deliveries that are due with the sender of their channel; (sent, failed).

    A channel without a sender (no longer set up) fails its deliveries,
    which wait, with the reason, until it is set up again.
    """
    sent = failed = 0
    now = utcnow()
    for delivery_id in _due(now):
        delivery = _claim(delivery_id, now)
        if delivery is None:
            continue
        send = senders.get(delivery.channel)
        try:
            if send is None:
                raise DeliveryFailed(f"The {delivery.channel} channel is not set up on this service.")
            send(delivery)
        except DeliveryFailed as err:
            log.warning("Delivery %d (%s to %s) failed: %s", delivery.id, delivery.channel, delivery.recipient, err)
            _settle(delivery, str(err))
            failed += 1
        else:
            _settle(delivery, None)
            sent += 1
    db.session.rollback()
    return sent, failed
