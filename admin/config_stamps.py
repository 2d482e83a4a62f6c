"""New config stamps for every change to what kiosk configs hold, in the change's own transaction.

A kiosk's config version (``api.kiosk_config``) is read on every heartbeat
and config poll without building the config: it is made of the stamps of
``models.ConfigStamp`` and of who is on duty at the kiosk's desk. So every
change to anything else a config holds must draw new stamps, and commit
them with the change, or a kiosk would keep an old config. The console, the
commands and the demo all change those rows through the ORM session, so
listeners on the session's writes see every change, wherever it is made:
each row written notes whose configs hold it, and at the end of the flush
a new random stamp is written for each scope noted, in the same transaction.

What a config holds (docs/protocol.md §2, GET /kiosk/config), and the scope
a change to it touches:

- the scale and the kiosk settings (``settings`` rows ``scale`` and
  ``kiosk``), the reasons: every kiosk (``GLOBAL_SCOPE``);
- a unit's name, a desk's name and unit, a kiosk's name and desk: the unit
  (both units when a desk, a kiosk or an officer moves);
- an officer's code, name, title, unit, whether active, PIN hash, photo:
  the officer's unit. An officer on duty at a desk of another unit is in
  that desk's config too: the version reads the stamp of the on-duty
  officer's unit as well.

Duty periods draw no stamp: the version reads the period running at the
desk when it is asked, so it changes when a period begins or ends, with no
write at that moment. An UPDATE or DELETE statement run through the session
on one of these tables draws a new global stamp, as it does not say which
rows it changed. SQL run beside the session (typed into ``psql``) draws
none: the service itself never writes these tables that way.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, object_session

from .models import Desk, Kiosk, Officer, OfficerPhoto, Reason, Setting, Unit

GLOBAL_SCOPE = 0
# The settings rows that kiosk configs hold: ``scale.load_scale``'s and ``scale.KIOSK_SETTINGS``'s
# (named here, not imported: ``scale`` reads the models, which load this module).
CONFIG_SETTINGS = frozenset({"scale", "kiosk"})
# For a row that stays, the attributes of it a config holds: a change to any other draws nothing.
CONFIG_ATTRIBUTES: dict[type, tuple[str, ...]] = {
    Unit: ("name",),
    Desk: ("name", "unit_id"),
    Kiosk: ("name", "desk_id"),
    Officer: ("code", "name", "title", "unit_id", "active", "pin_hash"),
}
# Models whose every insert, update or delete changes configs (no attribute is left out).
WHOLE_ROWS = (OfficerPhoto, Reason, Setting)
# A new unit, desk or kiosk is in no existing config, and a deleted one in none that remains.
STAYING_ROWS = (Unit, Desk, Kiosk)

# Where a session keeps, until the end of its flush, whose configs the rows it writes change.
PENDING = "hailong.config_holders"
# One statement for SQLite (3.24 and later) and PostgreSQL alike.
STAMP_SQL = text(
    "INSERT INTO config_stamps (scope, stamp) VALUES (:scope, :stamp) "
    "ON CONFLICT (scope) DO UPDATE SET stamp = excluded.stamp"
)


def draw_stamps(conn: Connection, scopes: Iterable[int]) -> None:
    """Give each of ``scopes`` a new random stamp, inside ``conn``'s transaction.

    In order of scope, so that two transactions stamping the same scopes on
    PostgreSQL take their row locks in the same order.
    """
    rows = [{"scope": scope, "stamp": secrets.randbits(63)} for scope in sorted(set(scopes))]
    if rows:
        conn.execute(STAMP_SQL, rows)


def _changed(obj: object, names: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _values(obj: object, name: str) -> set[int]:
    """The values ``name`` held before the flush and holds now (one, unless it changed); none if not loaded."""
    history = inspect(obj).attrs[name].history
    return {v for v in (*history.deleted, *history.unchanged, *history.added) if v is not None}


def _holders(obj: object) -> set[tuple[str, int]]:
    """Whose configs hold ``obj``: scopes, and desks and officers whose units are found after the flush."""
    if isinstance(obj, Unit):
        return {("scope", obj.id)}
    if isinstance(obj, (Desk, Officer)):
        units = _values(obj, "unit_id")
        # A row whose unit was never loaded (deleted unread) may be in any config.
        return {("scope", unit) for unit in units} or {("scope", GLOBAL_SCOPE)}
    if isinstance(obj, Kiosk):
        return {("desk", desk) for desk in _values(obj, "desk_id")} or {("scope", GLOBAL_SCOPE)}
    if isinstance(obj, OfficerPhoto):
        return {("officer", obj.officer_id)}
    return {("scope", GLOBAL_SCOPE)}  # reasons and settings are in every config


def _note(obj: object, holders: set[tuple[str, int]]) -> None:
    object_session(obj).info.setdefault(PENDING, set()).update(holders)


def _inserted_or_deleted(_mapper, _connection, obj: object) -> None:
    if isinstance(obj, STAYING_ROWS) or (isinstance(obj, Setting) and obj.key not in CONFIG_SETTINGS):
        return
    _note(obj, _holders(obj))


def _updated(mapper, _connection, obj: object) -> None:
    if isinstance(obj, Setting) and obj.key not in CONFIG_SETTINGS:
        return
    # Called for every object the flush saw as changed, also by a relationship only: compare the columns.
    names = CONFIG_ATTRIBUTES.get(type(obj)) or tuple(attr.key for attr in mapper.column_attrs)
    if _changed(obj, names):
        _note(obj, _holders(obj))


for _model in (*CONFIG_ATTRIBUTES, *WHOLE_ROWS):
    event.listen(_model, "after_insert", _inserted_or_deleted)
    event.listen(_model, "after_delete", _inserted_or_deleted)
    event.listen(_model, "after_update", _updated)


@event.listens_for(Session, "after_flush")
def _stamp_flush(session: Session, _context) -> None:
    # After every row of the flush is written, still in its transaction: the
    # units of the desks and officers noted are read as they are now.
    holders = session.info.pop(PENDING, None)
    if not holders:
        return
    conn = session.connection()
    scopes = {key for kind, key in holders if kind == "scope"}
    for kind, model in (("desk", Desk), ("officer", Officer)):
        ids = [key for k, key in holders if k == kind]
        if ids:
            scopes.update(conn.execute(select(model.unit_id).where(model.id.in_(ids))).scalars())
    draw_stamps(conn, scopes)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # A flush that failed noted changes that are now undone.
    session.info.pop(PENDING, None)


CONFIG_TABLES = frozenset(model.__table__ for model in (*CONFIG_ATTRIBUTES, *WHOLE_ROWS))


@event.listens_for(Session, "do_orm_execute")
def _stamp_bulk(state: ORMExecuteState) -> None:
    # An UPDATE or DELETE statement through the session does not say which rows
    # it changes, nor need it change a config: every kiosk's version changes, to be safe.
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.local_table in CONFIG_TABLES:
            draw_stamps(state.session.connection(), [GLOBAL_SCOPE])
