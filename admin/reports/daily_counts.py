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


KEYS = {"daily_counts": "score", "monthly_counts": "score", "daily_reason_counts": "reason_code"}


def _upsert(table: str, rows_sql: str) -> str:
    """The insert into ``table`` of the counts ``rows_sql`` gives, each added to the count of its key if there is one."""
    keys = f"day, officer_id, desk_id, {KEYS[table]}"
    return (
        f"INSERT INTO {table} ({keys}, count) {rows_sql} "
        f"ON CONFLICT ({keys}) DO UPDATE SET count = {table}.count + excluded.count"
    )


@lru_cache(maxsize=4)
def _upsert_sql(table: str) -> str:
    return _upsert(table, "VALUES (?, ?, ?, ?, ?)")


def increment_counts(cur: Any, driver: Driver, table: str, counts: Counter) -> None:
    """Add ``n`` to the count of each ``(day, officer_id, desk_id, last key)`` of ``table``, creating missing rows.

    An upsert, so a concurrent insert of the same key (PostgreSQL, several
    processes) adds to it instead of failing. Keys are sorted so that
    concurrent transactions lock rows in the same order and cannot deadlock.
    """
    if not counts:
        return
    bind_day = driver.binders((Rating.__table__.c.day.type,))[0] or (lambda day: day)
    cur.executemany(
        driver.sql(_upsert_sql(table)),
        [(bind_day(day), officer, desk, last, counts[(day, officer, desk, last)])
         for day, officer, desk, last in sorted(counts)],
    )


def _upsert_from(table: str, select_sql: str) -> str:
    return f"add_{table} AS ({_upsert(table, f'{select_sql} ORDER BY 1, 2, 3, 4')})"


def counts_from(ratings: str, reasons: str | None) -> list[str]:
    """PostgreSQL: the parts of a ``WITH`` that add to the counts the ratings one statement inserts.

    ``ratings`` names the statement's part returning the new ratings' ``id,
    day, officer_id`` (``NO_OFFICER`` for nobody), ``desk_id, score``;
    ``reasons`` the part returning their new reasons' ``rating_id,
    reason_code``, or None. Grouped, so that each count is one upsert, and
    sorted as in ``increment_counts``: the ratings, their reasons and the
    counts of a group of requests are then one statement.
    """
    month = "CAST(date_trunc('month', day) AS DATE)"
    by_score = f"officer_id, desk_id, score, count(*) FROM {ratings} GROUP BY 1, 2, 3, 4"
    parts = [
        _upsert_from("daily_counts", f"SELECT day, {by_score}"),
        _upsert_from("monthly_counts", f"SELECT {month}, {by_score}"),
    ]
    if reasons:
        parts.append(_upsert_from(
            "daily_reason_counts",
            f"SELECT r.day, r.officer_id, r.desk_id, x.reason_code, count(*) FROM {reasons} x "
            f"JOIN {ratings} r ON r.id = x.rating_id GROUP BY 1, 2, 3, 4",
        ))
    return parts


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
