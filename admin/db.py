"""Database handles: the SQLAlchemy extension, migrations, and column types.

The extensions are created unbound here and attached to an app in
``create_app``, as in Flask-SQLAlchemy's flaskr example.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations can drop and alter them on
# SQLite (batch mode) and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An instant, stored as naive UTC and read back as an aware UTC datetime.

    SQLite has no time zone type; storing UTC everywhere makes the two
    databases behave the same and keeps comparisons correct.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)

    def bind_processor(self, dialect):
        # SQLite stores the text "2026-11-27 02:10:00.000000". SQLAlchemy makes it
        # through a generic formatter; ``isoformat`` gives the same text about
        # four times faster, which counts when a batch of ratings is bound.
        if dialect.name == "sqlite":
            return _sqlite_utc_text
        return super().bind_processor(dialect)


_SQLITE_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def _sqlite_utc_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is timezone.utc:
        # Already UTC (the API parses every time to UTC): formatted directly, as
        # isoformat would first work out and write the offset.
        return _SQLITE_TEXT % (value.year, value.month, value.day, value.hour, value.minute, value.second,
                               value.microsecond)
    if value.tzinfo is None:
        raise ValueError("naive datetime given for a UTC column")
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(timezone.utc)


def iso_utc(at: datetime) -> str:
    """An instant as the API and the alerts write it: ``2026-11-27T02:10:00Z``."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def configure_sqlite(engine: Engine) -> None:
    """Make every SQLite connection durable and safe for several threads.

    WAL lets readers work while one thread writes; ``synchronous=FULL`` fsyncs
    each commit, because a kiosk forgets a rating once we have acknowledged
    it. pysqlite's own transaction handling is turned off so that we emit
    BEGIN ourselves: a write path asks for ``BEGIN IMMEDIATE`` (see
    ``write_transaction``), which takes the write lock up front instead of
    failing with "database is locked" when two readers both try to upgrade.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("sqlite_immediate") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def write_transaction() -> None:
    """Start the session's transaction as a writer.

    Call it first thing in a request that will write. On SQLite it takes the
    write lock at BEGIN (waiting for it up to the busy timeout); on PostgreSQL
    it changes nothing. The kiosk API's hot paths use ``writing`` instead.
    """
    if db.session().in_transaction():
        db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})


# One writer at a time per process on SQLite. Threads wait on this lock, which
# wakes them the moment it is free; waiting inside SQLite instead means its
# busy handler sleeping in growing steps, which collapses throughput.
SQLITE_WRITE_LOCK = threading.Lock()


@contextmanager
def writing() -> Iterator[None]:
    """Run a block that writes, as one transaction begun as a writer.

    On SQLite the transaction takes the write lock at BEGIN (``BEGIN
    IMMEDIATE``) behind a process-wide lock; on PostgreSQL it is an ordinary
    transaction. The block commits; if it raises, everything is rolled back
    before the next writer may start.
    """
    sqlite = db.engine.dialect.name == "sqlite"
    with SQLITE_WRITE_LOCK if sqlite else nullcontext():
        write_transaction()
        try:
            yield
        except BaseException:
            db.session.rollback()
            raise
