"""Kiosk heartbeats (docs/protocol.md §2, POST /kiosk/heartbeat): checked, then recorded cheaply.

Every kiosk sends one a minute, so a fleet's heartbeats are a large share
of the service's requests. Each replaces its kiosk's last one in the
kiosk's row (when it was seen, what it reported, its clock's offset), which
the console's "offline" status, the "kiosk silent" watch rule and the clock
checks of the kiosk's next ratings read. Every heartbeat is written, and
committed before it is answered, so all of them see it at once, whichever
copy of the service they run in; what is saved is the cost of the write:

- on PostgreSQL, one autocommitted statement that does not wait for the
  disk (``hot_path``): losing the last fraction of a second of heartbeats
  in a crash of the database costs nothing that the next heartbeat does
  not put back;
- on SQLite, the group-commit writer (``writer``): heartbeats and ratings
  of many requests share one transaction and one wait on the disk.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from ..db import db
from ..driver import Driver, cursor, driver_for
from ..errors import ApiError
from ..models import Kiosk
from . import wire
from .hot_path import execute_unwaited
from .writer import group_writer

FIELDS: dict[str, type | tuple[type, ...]] = {
    "version": str,
    "outbox_depth": int,
    "rejected": int,
    "last_seq": int,
    "uptime_s": (int, float),
    "clock": str,
    "on_duty_officer_id": (int, type(None)),
    # Why the kiosk's last upload failed (a proxy's page, say), and when it began a new outbox.
    "upload_error": (str, type(None)),
    "outbox_replaced_at": (str, type(None)),
}
# The kiosk cuts its own text to this; longer is refused rather than kept in every kiosk's row.
MAX_TEXT = {"upload_error": 300, "outbox_replaced_at": 40}

UPDATE_SQL = "UPDATE kiosks SET last_seen_at = ?, last_heartbeat = ?, clock_offset_s = COALESCE(?, clock_offset_s) WHERE id = ?"
CONVERTED_TYPES = (Kiosk.__table__.c.last_seen_at.type, Kiosk.__table__.c.last_heartbeat.type)


@dataclass(frozen=True)
class Heartbeat:
    """One checked heartbeat: what the kiosk's row gets."""

    kiosk_id: int
    at: datetime
    fields: dict[str, Any]
    # Kiosk clock minus server clock, in seconds; None when the heartbeat had no ``clock``.
    clock_offset_s: float | None


def read_heartbeat(body: dict[str, Any], kiosk_id: int, now: datetime) -> Heartbeat:
    """The heartbeat in ``body``, received at ``now``; ``ApiError`` for a field of the wrong type or a negative number."""
    for name, kind in FIELDS.items():
        value = body.get(name)
        if name in body and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ApiError(400, "bad_shape", f"Heartbeat field {name!r} has the wrong type.")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ApiError(422, "out_of_range", f"Heartbeat field {name!r} cannot be negative.")
        if isinstance(value, str) and len(value) > MAX_TEXT.get(name, len(value)):
            raise ApiError(422, "out_of_range", f"Heartbeat field {name!r} is longer than {MAX_TEXT[name]} characters.")
    offset = None
    if "clock" in body:
        try:
            clock = wire.parse_instant(body["clock"], "clock")
        except wire.ItemError as err:
            raise ApiError(400, err.code, err.message) from None
        offset = (clock - now) / timedelta(seconds=1)
    return Heartbeat(kiosk_id, now, {name: body[name] for name in FIELDS if name in body}, offset)


def _row(driver: Driver, beat: Heartbeat) -> tuple[Any, ...]:
    """The values of ``UPDATE_SQL`` for ``beat``, converted as the ORM converts them."""
    seen, report = driver.binders(CONVERTED_TYPES)
    return (
        seen(beat.at) if seen else beat.at,
        report(beat.fields) if report else beat.fields,
        beat.clock_offset_s,
        beat.kiosk_id,
    )


def record_heartbeat(beat: Heartbeat) -> None:
    """Write ``beat`` into its kiosk's row; committed when this returns (see the module's docstring)."""
    driver = driver_for(db.engine.dialect)
    if driver.dialect.name == "postgresql":
        execute_unwaited(driver.sql(UPDATE_SQL), _row(driver, beat))
    else:
        group_writer().submit(record_heartbeats, beat)


def record_heartbeats(conn: Connection, beats: list[Heartbeat]) -> list[None]:
    """Write ``beats`` on ``conn``, inside its transaction, in order (a kiosk's later one wins); the writer commits."""
    driver = driver_for(conn.dialect)
    cursor(conn).executemany(driver.sql(UPDATE_SQL), [_row(driver, beat) for beat in beats])
    return [None] * len(beats)
