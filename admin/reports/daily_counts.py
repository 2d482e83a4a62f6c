"""The daily counts the reports read: kept up to date by ingest, rebuilt on demand.

Every rating adds one to ``daily_counts`` (day, officer, desk, score), to
``monthly_counts`` (the same keyed by the month's first day) and one per
reason to ``daily_reason_counts``, in the transaction that stores it
(``api.rating_store``), so a report over tens of millions of ratings is one
grouped query over a few rows per officer and day, or month (``span``).
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, cast, delete, func, insert, literal_column, select, text

from ..db import db, write_transaction
from ..driver import Driver
from ..models import NO_OFFICER, DailyCount, DailyReasonCount, MonthlyCount, Rating, RatingReason


def month_of(day_column):
    """SQL for the first day of the month of ``day_column``, in the session's dialect."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", day_column), Date)
    return func.date(day_column, "start of month")


@lru_cache(maxsize=256)
def _upsert_sql(table: str, last_key: str, n_rows: int = 0) -> str:
    """The upsert of one count into ``table``; of ``n_rows`` counts in one statement when ``n_rows`` is given."""
    keys = f"day, officer_id, desk_id, {last_key}"
    rows = ", ".join(["(?, ?, ?, ?, ?)"] * max(n_rows, 1))
    return (
        f"INSERT INTO {table} ({keys}, count) VALUES {rows} "
        f"ON CONFLICT ({keys}) DO UPDATE SET count = {table}.count + excluded.count"
    )


# One table's increments: the table, the last column of its key, and the count of each key.
Increments = tuple[str, str, Counter]
# Counts written by one statement at most (five parameters each, well under PostgreSQL's 65,535).
MAX_COUNTS_PER_STATEMENT = 2000


def increment_counts(cur: Any, driver: Driver, increments: list[Increments]) -> None:
    """Add ``n`` to the count of each ``(day, officer_id, desk_id, last_key)`` of each table, creating missing rows.

    An upsert, so a concurrent insert of the same key (PostgreSQL, several
    processes) adds to it instead of failing. Keys are sorted so that
    concurrent transactions lock rows in the same order and cannot deadlock.
    On PostgreSQL every table's upsert is one part of a single statement:
    one round trip for a group of ratings instead of one per table. Every
    part is in the ``WITH``, none is the main query, so PostgreSQL runs
    them after it, one after the other, in the same order in every
    transaction whichever parts it has. SQLite, which
    has no such statements and no round trips, runs one ``executemany`` per
    table, as PostgreSQL does for a group too large for one statement.
    """
    bind_day = driver.binders((Rating.__table__.c.day.type,))[0] or (lambda day: day)
    parts = [
        (table, last_key, [(bind_day(day), officer, desk, last, counts[(day, officer, desk, last)])
                           for day, officer, desk, last in sorted(counts)])
        for table, last_key, counts in increments if counts
    ]
    if driver.dialect.name != "postgresql" or sum(len(rows) for _, _, rows in parts) > MAX_COUNTS_PER_STATEMENT:
        for table, last_key, rows in parts:
            cur.executemany(driver.sql(_upsert_sql(table, last_key)), rows)
        return
    if parts:
        upserts = ", ".join(
            f"add_{table} AS ({_upsert_sql(table, last_key, len(rows))})" for table, last_key, rows in parts
        )
        values = [value for _, _, rows in parts for row in rows for value in row]
        cur.execute(driver.sql(f"WITH {upserts} SELECT 1"), values)


def by_month(counts: Counter) -> Counter:
    """``counts`` keyed by (day, …) summed by the first day of each day's month."""
    months: Counter = Counter()
    for (day, *rest), n in counts.items():
        months[(day.replace(day=1), *rest)] += n
    return months


def _fill_monthly_counts() -> None:
    month = month_of(DailyCount.day)
    db.session.execute(
        insert(MonthlyCount).from_select(
            ["day", "officer_id", "desk_id", "score", "count"],
            select(month, DailyCount.officer_id, DailyCount.desk_id, DailyCount.score, func.sum(DailyCount.count))
            .group_by(month, DailyCount.officer_id, DailyCount.desk_id, DailyCount.score),
        )
    )


def rebuild_monthly_counts() -> None:
    """Sum ``monthly_counts`` again from ``daily_counts``, and commit: for data written into the daily counts directly."""
    write_transaction()
    db.session.execute(delete(MonthlyCount))
    _fill_monthly_counts()
    db.session.commit()


def rebuild_daily_counts() -> int:
    """Recount ``daily_counts``, ``monthly_counts`` and ``daily_reason_counts`` from the ratings, and commit.

    For an operator who suspects the counts, and for benchmarks that load
    ratings in bulk. Returns how many ratings were counted. Ingestion may go
    on meanwhile: on SQLite the write lock, on PostgreSQL a table lock that
    ingestion's upserts wait for, keep a rating from being counted twice or
    not at all.
    """
    write_transaction()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE daily_counts, monthly_counts, daily_reason_counts IN EXCLUSIVE MODE"))
    db.session.execute(delete(DailyCount))
    db.session.execute(delete(MonthlyCount))
    db.session.execute(delete(DailyReasonCount))
    # Inline 0, not a bound parameter: GROUP BY must repeat the SELECT's expression exactly.
    officer = func.coalesce(Rating.officer_id, literal_column(str(NO_OFFICER)))
    db.session.execute(
        insert(DailyCount).from_select(
            ["day", "officer_id", "desk_id", "score", "count"],
            select(Rating.day, officer, Rating.desk_id, Rating.score, func.count()).group_by(
                Rating.day, officer, Rating.desk_id, Rating.score
            ),
        )
    )
    _fill_monthly_counts()
    db.session.execute(
        insert(DailyReasonCount).from_select(
            ["day", "officer_id", "desk_id", "reason_code", "count"],
            select(Rating.day, officer, Rating.desk_id, RatingReason.reason_code, func.count())
            .join(RatingReason, RatingReason.rating_id == Rating.id)
            .group_by(Rating.day, officer, Rating.desk_id, RatingReason.reason_code),
        )
    )
    counted = db.session.execute(select(func.coalesce(func.sum(DailyCount.count), 0))).scalar_one()
    db.session.commit()
    return int(counted)
