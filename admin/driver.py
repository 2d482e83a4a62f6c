"""Plain DB-API statements for the kiosk API's hot path.

SQLAlchemy builds a cache key, looks up the compiled statement and runs
every parameter through its type objects on each ``execute``; for a request
that stores one rating that bookkeeping costs several times SQLite's own
work. The hot path (the kiosk token look-up and the ratings insert) writes
its SQL once, runs it on the driver's cursor, and converts values with
SQLAlchemy's own type processors, so the rows are exactly those the ORM
writes and reads back.

SQL here is written with ``?`` placeholders; ``Driver.sql`` turns them into
``%s`` for psycopg. It must hold no other ``?`` or ``%``.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import Column
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.types import TypeEngine

Convert = Callable[[Any], Any]


class Driver:
    """SQL text and value conversion for one database dialect."""

    def __init__(self, dialect: Dialect):
        self.dialect = dialect
        self.qmark = dialect.paramstyle == "qmark"

    @lru_cache(maxsize=1024)
    def sql(self, text: str) -> str:
        """``text`` with the driver's placeholders."""
        return text if self.qmark else text.replace("?", "%s")

    @lru_cache(maxsize=64)
    def binders(self, types: tuple[TypeEngine, ...]) -> list[Convert | None]:
        """For each column type, the function that turns a Python value into the driver's, or None."""
        return [type_.dialect_impl(self.dialect).bind_processor(self.dialect) for type_ in types]

    @lru_cache(maxsize=16)
    def type_sql(self, type_: TypeEngine) -> str:
        """``type_`` as this database names it, for a CAST."""
        return type_.compile(dialect=self.dialect)

    @lru_cache(maxsize=64)
    def reader(self, column: Column) -> Convert:
        """The function that turns the driver's value of ``column`` into the Python value the ORM gives."""
        process = column.type.dialect_impl(self.dialect).result_processor(self.dialect, None)
        return process or (lambda value: value)


@lru_cache(maxsize=8)
def driver_for(dialect: Dialect) -> Driver:
    """The ``Driver`` of ``dialect`` (one per engine's dialect, made once)."""
    return Driver(dialect)


def cursor(conn: Connection) -> Any:
    """A cursor of the driver's own connection under ``conn``, inside ``conn``'s transaction."""
    return conn.connection.driver_connection.cursor()
