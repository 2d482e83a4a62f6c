"""Connections for the kiosk API's hot path: the token look-up of every request, the desk a rating is
checked against, and heartbeats.

The look-up is one short read, run for every heartbeat, config poll and
upload of a whole fleet, outside the session (``auth``). Through the app's
pool on PostgreSQL it costs four round trips: the pool checks each
connection it hands out with one of its own (``pool_pre_ping``), and the
driver wraps the read in a BEGIN and, when the connection is given back, a
ROLLBACK. This pool's connections run in autocommit, unchecked: one round
trip. A rating's check of its desk's officers and duty periods, when the
copies of them have gone stale, reads here too (``validation``). A
connection the database dropped (a restart) shows when a statement fails
on it; it is thrown away and the statement runs once more on a new
connection, which is what the check would have done beforehand.

A heartbeat is written here too, on PostgreSQL, by its token look-up
itself: one autocommitted statement that does not wait for the disk
(``synchronous_commit = off`` on these connections only): a heartbeat only
replaces the kiosk's last one, and a crash of the database could lose at
most the heartbeats of its last fraction of a second, which the next
minute's replace. It is visible to
every other connection as soon as it returns, like any commit; ratings, which
must survive a power cut, are never written here (``writer``).

On SQLite the app's own pool serves: its connections are local files, with
no check and no transaction around a read (``db.configure_sqlite``).
"""
from __future__ import annotations

from contextlib import closing
from typing import Any

from flask import current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from ..db import db


def hot_engine() -> Engine:
    """The app's engine for the hot path, made on first use; disposed with the app's own."""
    engine = current_app.extensions.get("hailong.hot_path")
    if engine is None:
        main = db.engine
        if main.dialect.name == "postgresql":
            options = {k: v for k, v in current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"}
            new = create_engine(
                main.url, **options, pool_pre_ping=False, isolation_level="AUTOCOMMIT", pool_reset_on_return=None
            )
            event.listen(new, "connect", _no_wait_for_disk)
            # Whoever is done with the app's database (a test, a shutdown) disposes of its engine: this one goes too.
            event.listen(main, "engine_disposed", lambda _main: new.dispose())
        else:
            new = main
        engine = current_app.extensions.setdefault("hailong.hot_path", new)
    return engine


def _no_wait_for_disk(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET synchronous_commit = off")
    cur.close()
    if not dbapi_conn.autocommit:
        dbapi_conn.commit()


def _run(conn: Any, sql: str, params: tuple[Any, ...], fetch: str) -> Any:
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.fetchone() if fetch == "one" else cur.fetchall() if fetch == "all" else None


def _retried(sql: str, params: tuple[Any, ...], fetch: str) -> Any:
    """``sql`` (in the driver's placeholders) with ``params``, once more on a new connection if the first was dropped.

    ``fetch`` is ``one`` (the first row or None), ``all`` (a list of rows) or ``none``.
    """
    engine = hot_engine()
    conn = engine.raw_connection()
    try:
        return _run(conn, sql, params, fetch)
    except engine.dialect.loaded_dbapi.Error as err:
        if not engine.dialect.is_disconnect(err, conn.dbapi_connection, None):
            raise
        conn.invalidate(err)
    finally:
        conn.close()
    with closing(engine.raw_connection()) as conn:
        return _run(conn, sql, params, fetch)


def fetch_one(sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The first row of the read ``sql`` (in the driver's placeholders) with ``params``, or None."""
    return _retried(sql, params, fetch="one")


def fetch_all(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Every row of the read ``sql`` (in the driver's placeholders) with ``params``."""
    return _retried(sql, params, fetch="all")


def fetch_one_unwaited(sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Run and commit the write ``sql``, without waiting for the disk; the first row it returns, or None.

    PostgreSQL only (see above).
    """
    if hot_engine().dialect.name != "postgresql":
        raise ValueError("only PostgreSQL commits without waiting for the disk")
    return _retried(sql, params, fetch="one")
