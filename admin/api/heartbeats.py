"""Kiosk heartbeats (docs/protocol.md §2, POST /kiosk/heartbeat): checked, then recorded cheaply.

Every kiosk sends one a minute, so a fleet's heartbeats are a large share
of the service's requests. Each replaces its kiosk's last one in the
kiosk's row (when it was seen, what it reported, its clock's offset), which
the console's "offline" status, the "kiosk silent" watch rule and the clock
checks of the kiosk's next ratings read. Every heartbeat is written, and
committed before it is answered, so all of them see it at once, whichever
copy of the service they run in; what is saved is the cost of the write:

- on PostgreSQL, the statement that finds the kiosk by its token and reads
  its config version writes the heartbeat too: one autocommitted statement
  that does not wait for the disk (``hot_path``); losing the last fraction
  of a second of heartbeats in a crash of the database costs nothing that
  the next heartbeat does not put back;
- on SQLite, the group-commit writer (``writer``): heartbeats and ratings
  of many requests share one transaction and one wait on the disk.

The body is checked before the token is looked up, as the write needs it;
a request without a valid token still gets its 401 before any complaint
about its body.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from ..db import db
from ..driver import Driver, cursor, driver_for
from ..errors import ApiError
from ..kiosks import hash_token
from ..models import Kiosk
from . import wire
from .auth import VERSIONED_TOKEN_SQL, KioskRef, authenticate, authenticate_versioned, unauthorized, versioned_ref
from .hot_path import fetch_one_unwaited
from .kiosk_config import version_params
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

SET_SQL = "last_seen_at = ?, last_heartbeat = ?, clock_offset_s = COALESCE(?, kiosks.clock_offset_s)"
UPDATE_SQL = f"UPDATE kiosks SET {SET_SQL} WHERE id = ?"
# PostgreSQL: the kiosk holding a token and its config version (``auth``), and the heartbeat written into its row.
TOKEN_HEARTBEAT_SQL = (
    f"WITH kiosk AS ({VERSIONED_TOKEN_SQL}), "
    f"beat AS (UPDATE kiosks SET {SET_SQL} FROM kiosk WHERE kiosks.id = kiosk.id) "
    "SELECT * FROM kiosk"
)
CONVERTED_TYPES = (Kiosk.__table__.c.last_seen_at.type, Kiosk.__table__.c.last_heartbeat.type)


@dataclass(frozen=True)
class Heartbeat:
    """One checked heartbeat: what the kiosk's row gets."""

    at: datetime
    fields: dict[str, Any]
    # Kiosk clock minus server clock, in seconds; None when the heartbeat had no ``clock``.
    clock_offset_s: float | None


def read_heartbeat(body: dict[str, Any], now: datetime) -> Heartbeat:
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
    return Heartbeat(now, {name: body[name] for name in FIELDS if name in body}, offset)


def _values(driver: Driver, beat: Heartbeat) -> tuple[Any, ...]:
    """The values of ``SET_SQL`` for ``beat``, converted as the ORM converts them."""
    seen, report = driver.binders(CONVERTED_TYPES)
    return (seen(beat.at) if seen else beat.at, report(beat.fields) if report else beat.fields, beat.clock_offset_s)


def take_heartbeat(token: str, now: datetime) -> tuple[KioskRef, str]:
    """Record the heartbeat in the request's body, received at ``now``, for the kiosk holding ``token``.

    Returns the kiosk and its config version at ``now``; committed when
    this returns (see the module's docstring). ``ApiError`` 401 for a
    token no enabled kiosk holds, else 400 or 422 for a body that is not a
    heartbeat, and nothing is written.
    """
    if not token:
        raise unauthorized()
    try:
        beat = read_heartbeat(wire.json_object(), now)
    except ApiError:
        if authenticate(token) is None:
            raise unauthorized() from None
        raise
    driver = driver_for(db.engine.dialect)
    if driver.dialect.name == "postgresql":
        row = fetch_one_unwaited(
            driver.sql(TOKEN_HEARTBEAT_SQL), (*version_params(driver, now), hash_token(token), *_values(driver, beat)),
        )
        if row is None:
            raise unauthorized()
        return versioned_ref(driver, row)
    found = authenticate_versioned(token, now)
    if found is None:
        raise unauthorized()
    group_writer().submit(record_heartbeats, (found[0].id, beat))
    return found


def record_heartbeats(conn: Connection, beats: list[tuple[int, Heartbeat]]) -> list[None]:
    """Write each kiosk's heartbeat on ``conn``, inside its transaction, in order (a kiosk's later one wins).

    SQLite's writer (see ``take_heartbeat``) commits.
    """
    driver = driver_for(conn.dialect)
    cursor(conn).executemany(driver.sql(UPDATE_SQL), [(*_values(driver, beat), kiosk_id) for kiosk_id, beat in beats])
    return [None] * len(beats)
