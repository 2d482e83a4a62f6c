"""Storing validated ratings: idempotent by UUID, with their reasons and daily counts.

``write_ratings`` stores the batches that ``validation.prepare_ratings``
made, on a connection and inside its transaction: inserted with ``ON
CONFLICT (uuid) DO NOTHING``, so the same UUID sent ten times, even from
ten threads at once, is stored once; a UUID already stored is a duplicate
when its content is the same, else a conflict; and the daily counts the
reports read grow in the same transaction (``reports.daily_counts``), as
does the intake of complaints of misconduct that ``cases`` files, and
the audit entry of every rating stored for nobody because the officer the
kiosk named was not on duty (``validation.not_on_duty``), which the watch
reads (``watch_rules``).

The API hands its batches to the group-commit writer (``writer``), which
writes those of several requests together; ``store_ratings`` does both
steps in the session's transaction (demo data and tests). Everything here
is plain driver statements (see ``driver``).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any

from sqlalchemy import Uuid
from sqlalchemy.engine import Connection

from ..db import db, utcnow
from ..driver import Driver, cursor, driver_for
from ..models import NO_OFFICER, AuditEntry, Rating
from ..reports.daily_counts import by_month, counts_from, increment_counts
from .auth import KioskRef
from .idempotent import settle
from .validation import PreparedRatings, ValidRating, prepare_ratings
from .wire import BatchResult

# Fields compared when a UUID arrives again: the same content is a duplicate,
# anything else a conflict. Times compare as instants, reasons as sets.
CONTENT_FIELDS = ("kiosk_id", "seq", "score", "officer_id", "source", "ticket", "comment", "created_at")
# The columns of a new rating, in the order of the insert statement.
INSERT_FIELDS = (
    "uuid", "kiosk_id", "desk_id", "unit_id", "officer_id", "score", "source", "seq",
    "ticket", "comment", "created_at", "received_at", "clock_flag", "day",
)
# The columns whose values the driver takes converted, by SQLAlchemy's own type
# processors; the others are whole numbers and text, bound as they are. The
# UUID is bound from its canonical text (see ``wire.require_uuid``).
CONVERTED_TYPES = (
    Uuid(as_uuid=False), Rating.__table__.c.created_at.type, Rating.__table__.c.clock_flag.type,
    Rating.__table__.c.day.type,
)


def write_ratings(conn: Connection, batches: list[PreparedRatings]) -> list[BatchResult]:
    """Store prepared batches on ``conn``, inside its transaction; the caller commits.

    Runs plain statements on the driver's connection only (see ``driver``),
    so the writer can begin and commit there without SQLAlchemy.

    The batches of several requests are written together, in the same few
    statements. A UUID carried by two of them is inserted for the first;
    the later one then finds it stored, as if it came after. May run more
    than once for the same batches (the writer retries a failed group one
    request at a time), so it changes nothing in them.
    """
    driver = driver_for(conn.dialect)
    cur = cursor(conn)
    owner: dict[str, PreparedRatings] = {}
    for batch in batches:
        for key in batch.rows:
            owner.setdefault(key, batch)
    # With their reasons, before the look-up below: a UUID that two batches
    # carry is compared with the row the first just stored.
    inserted = _insert(cur, driver, owner)
    _take_in_complaints(cur, driver, [bound for key, bound in inserted.items() if key in owner[key].complaints])
    _record_officers_not_on_duty(cur, driver, [(key, owner[key]) for key in inserted])
    pending = [key for batch in batches for key in batch.rows if owner[key] is not batch or key not in inserted]
    stored = _stored_content(cur, driver, pending) if pending else {}

    inserted_by: dict[PreparedRatings, set[str]] = {batch: set() for batch in batches}
    for key in inserted:
        inserted_by[owner[key]].add(key)
    results = []
    for batch in batches:
        result = BatchResult(rejected=list(batch.rejected))
        mine = inserted_by[batch]
        contents = {key: _content(batch, row) for key, row in batch.rows.items() if key not in mine}
        settle(result, batch.order, mine, _as_sent(stored, contents), contents, "rating")
        results.append(result)
    return results


def store_ratings(
    kiosk: KioskRef, items: list[Any], received_at: datetime | None = None, check_duty: bool = False,
) -> BatchResult:
    """Validate and store ratings in the session's transaction; the caller commits.

    Demo data and tests name the officer they rate without a duty period
    behind every rating: unless ``check_duty``, the officer is taken as named
    when the desk may rate them at all (``validation.known_officers``), as
    the kiosk API did before it checked duty (``validation.not_on_duty``).
    """
    batch = prepare_ratings(kiosk, items, received_at or utcnow(), check_duty)
    return write_ratings(db.session.connection(), [batch])[0]


# Columns that are often NULL (``ticket`` and ``comment`` nearly always). Rows
# go in grouped by which of them are NULL, and the statement writes NULL there
# instead of binding None: Python's sqlite3 looks for an adapter for every None
# it binds, raising and dropping an exception each time, which cost about a
# tenth of storing a batch.
NULLABLE = tuple(INSERT_FIELDS.index(name) for name in ("officer_id", "ticket", "comment"))


@lru_cache(maxsize=64)
def _insert_sql(n_rows: int, nulls: tuple[bool, ...]) -> str:
    """The insert of ``n_rows`` rows, NULL written in the ``NULLABLE`` columns flagged in ``nulls``."""
    null_columns = {column for column, null in zip(NULLABLE, nulls) if null}
    row = "(" + ", ".join("NULL" if i in null_columns else "?" for i in range(len(INSERT_FIELDS))) + ")"
    return (
        f"INSERT INTO ratings ({', '.join(INSERT_FIELDS)}) VALUES {', '.join([row] * n_rows)} "
        "ON CONFLICT (uuid) DO NOTHING"
    )


@lru_cache(maxsize=8)
def _bound_columns(nulls: tuple[bool, ...]) -> Callable[[tuple], tuple]:
    """Picks from a full row the values ``_insert_sql(n, nulls)`` binds."""
    null_columns = {column for column, null in zip(NULLABLE, nulls) if null}
    return itemgetter(*(i for i in range(len(INSERT_FIELDS)) if i not in null_columns))


# Rows per insert statement: powers of two up to this. A statement is compiled
# once per size and then reused; compiling one for every batch size would cost
# more than the insert (over 0.3 ms for 100 rows on SQLite).
MAX_INSERT_ROWS = 256


def _chunks(n: int) -> list[int]:
    """``n`` as a sum of powers of two, at most ``MAX_INSERT_ROWS`` each, largest first."""
    sizes = []
    while n:
        size = min(MAX_INSERT_ROWS, 1 << (n.bit_length() - 1))
        sizes.append(size)
        n -= size
    return sizes


def _execute_in_chunks(cur: Any, driver: Driver, sql_for: Callable[[int], str], rows: list[tuple]) -> int:
    """Run ``sql_for(n)`` with the values of ``n`` rows at a time (see ``_chunks``); the rows it changed."""
    changed = 0
    start = 0
    for size in _chunks(len(rows)):
        cur.execute(driver.sql(sql_for(size)), [value for row in rows[start:start + size] for value in row])
        changed += cur.rowcount
        start += size
    return changed


def _insert(cur: Any, driver: Driver, owner: dict[str, PreparedRatings]) -> dict[str, Any]:
    """Insert the ratings whose UUID is new, with their reasons and the counts they add.

    Returns ``{UUID: UUID as bound}`` of those inserted.
    """
    rows = _bound_rows(driver, owner)
    if driver.dialect.name == "postgresql":
        return _insert_returning(cur, driver, owner, rows)
    inserted = _insert_without_returning(cur, driver, rows)
    new_rows = [(bound, owner[key], owner[key].rows[key]) for key, bound in inserted.items()]
    _store_reasons(cur, driver, new_rows)
    _count(cur, driver, new_rows)
    return inserted


def _bound_rows(driver: Driver, owner: dict[str, PreparedRatings]) -> list[tuple[str, tuple]]:
    """Each rating's UUID and its values in the order of ``INSERT_FIELDS``, converted as the driver takes them."""
    bind_uuid, bind_time, bind_flag, bind_day = (bind or _same for bind in driver.binders(CONVERTED_TYPES))
    # Bound once: most ratings of a group share these.
    days: dict[date, Any] = {}
    flags = {False: bind_flag(False), True: bind_flag(True)}
    received: dict[datetime, Any] = {}
    rows = []
    for key, batch in owner.items():
        row = batch.rows[key]
        day = days.get(row.day)
        if day is None:
            day = days[row.day] = bind_day(row.day)
        at = received.get(batch.received_at)
        if at is None:
            at = received[batch.received_at] = bind_time(batch.received_at)
        rows.append((key, (
            bind_uuid(key), batch.kiosk_id, batch.desk_id, batch.unit_id, row.officer_id, row.score, row.source,
            row.seq, row.ticket, row.comment, bind_time(row.created_at), at, flags[row.clock_flag], day,
        )))
    return rows


@lru_cache(maxsize=64)
def _insert_returning_sql(n_rows: int, n_links: int, uuid_type: str) -> str:
    """PostgreSQL: the insert of ``n_rows`` ratings, ``n_links`` of their reasons and the counts they add.

    It returns the UUIDs it inserted.
    """
    row = "(" + ", ".join(["?"] * len(INSERT_FIELDS)) + ")"
    parts = [
        f"new AS (INSERT INTO ratings ({', '.join(INSERT_FIELDS)}) VALUES {', '.join([row] * n_rows)} "
        f"ON CONFLICT (uuid) DO NOTHING RETURNING id, uuid, day, COALESCE(officer_id, {NO_OFFICER}) AS officer_id, "
        "desk_id, score)"
    ]
    if n_links:
        parts += [
            f"links (code, uuid) AS (VALUES {', '.join(['(?, ?)'] * n_links)})",
            "reasons AS (INSERT INTO rating_reasons (rating_id, reason_code) SELECT new.id, links.code "
            f"FROM links JOIN new ON new.uuid = CAST(links.uuid AS {uuid_type}) RETURNING rating_id, reason_code)",
        ]
    parts += counts_from("new", "reasons" if n_links else None)
    # As text, the UUID comes back as it was bound (see ``STORED_SQL``).
    return f"WITH {', '.join(parts)} SELECT CAST(uuid AS VARCHAR) FROM new"


def _insert_returning(
    cur: Any, driver: Driver, owner: dict[str, PreparedRatings], rows: list[tuple[str, tuple]],
) -> dict[str, Any]:
    """PostgreSQL: the ratings, their reasons and counts in one statement per chunk, which says which UUIDs were new.

    A rating whose UUID is stored already is skipped by the insert, and its
    reasons and counts with it (they are made from the rows inserted): no
    savepoint to undo, and one statement before the commit for a group of
    one-rating requests.
    """
    uuid_type = driver.type_sql(Rating.__table__.c.uuid.type)
    inserted: dict[str, Any] = {}
    start = 0
    for size in _chunks(len(rows)):
        chunk = rows[start:start + size]
        start += size
        links = [(code, values[0]) for key, values in chunk for code in sorted(owner[key].rows[key].reasons)]
        params = [value for _, values in chunk for value in values] + [value for link in links for value in link]
        cur.execute(driver.sql(_insert_returning_sql(len(chunk), len(links), uuid_type)), params)
        new = {uuid for (uuid,) in cur.fetchall()}
        inserted.update((key, values[0]) for key, values in chunk if key in new)
    return inserted


def _insert_without_returning(cur: Any, driver: Driver, rows: list[tuple[str, tuple]]) -> dict[str, Any]:
    """SQLite: insert ``rows`` whose UUID is new; ``{UUID: UUID as bound}`` of those inserted.

    Usually every UUID is new: the rows then go in a few multi-row
    statements whose row counts prove it. The statements return nothing, on
    purpose: SQLite hands back each returned row in a step of its own, which
    lets the other threads in between, and under load that cost more than
    the insert itself. When the count falls short (a kiosk sent again what
    was stored), the rows go in again one at a time to tell which were new.
    """
    shapes: dict[tuple[bool, ...], list[tuple[str, tuple]]] = {}
    for key, values in rows:
        nulls = tuple(values[column] is None for column in NULLABLE)
        shapes.setdefault(nulls, []).append((key, values))
    # Per shape, the values its statements bind.
    bound = {nulls: list(map(_bound_columns(nulls), (values for _, values in rows))) for nulls, rows in shapes.items()}
    cur.execute("SAVEPOINT new_ratings")
    if all(
        _execute_in_chunks(cur, driver, partial(_insert_sql, nulls=nulls), bound[nulls]) == len(rows)
        for nulls, rows in shapes.items()
    ):
        cur.execute("RELEASE SAVEPOINT new_ratings")
        return {key: values[0] for rows in shapes.values() for key, values in rows}
    cur.execute("ROLLBACK TO SAVEPOINT new_ratings")
    cur.execute("RELEASE SAVEPOINT new_ratings")
    inserted = {}
    for nulls, rows in shapes.items():
        for (key, values), params in zip(rows, bound[nulls]):
            if _execute_in_chunks(cur, driver, partial(_insert_sql, nulls=nulls), [params]) == 1:
                inserted[key] = values[0]
    return inserted


def _same(value: Any) -> Any:
    return value


def _content(batch: PreparedRatings, row: ValidRating) -> tuple:
    """What must match when a UUID arrives again (``CONTENT_FIELDS``, then the reasons)."""
    return (
        batch.kiosk_id, row.seq, row.score, row.officer_id, row.source, row.ticket, row.comment, row.created_at,
        row.reasons,
    )


OFFICER = CONTENT_FIELDS.index("officer_id")


def _as_sent(stored: dict[str, tuple], contents: dict[str, tuple]) -> dict[str, tuple]:
    """``stored``, where a rating was stored for nobody, with the officer it is sent with now.

    A rating stored for nobody because the officer it named was not on duty
    is the same rating when sent again naming that officer, even once a
    sign-in that arrived late says the officer was on duty after all: it
    stays as it was stored, a duplicate, never a conflict.
    """
    return {
        key: content[:OFFICER] + (contents[key][OFFICER],) + content[OFFICER + 1:]
        if content[OFFICER] is None and key in contents else content
        for key, content in stored.items()
    }


STORED_SQL = (
    # As text, the UUID comes back as it was bound, on SQLite and PostgreSQL alike.
    f"SELECT id, CAST(uuid AS VARCHAR), {', '.join(CONTENT_FIELDS)} FROM ratings WHERE uuid IN ({{marks}})"
)
STORED_REASONS_SQL = "SELECT rating_id, reason_code FROM rating_reasons WHERE rating_id IN ({marks})"
# UUIDs looked up per statement, well under every database's limit on parameters.
LOOKUP_CHUNK = 500


def _stored_content(cur: Any, driver: Driver, keys: list[str]) -> dict[str, tuple]:
    """The comparable content of ratings already stored under ``keys`` (rare: re-sent batches)."""
    bind_uuid = driver.binders(CONVERTED_TYPES[:1])[0] or _same
    by_bound = {bind_uuid(key): key for key in set(keys)}
    read_time = driver.reader(Rating.__table__.c.created_at)
    found: dict[int, tuple[str, tuple]] = {}
    bound = list(by_bound)
    for start in range(0, len(bound), LOOKUP_CHUNK):
        part = bound[start:start + LOOKUP_CHUNK]
        cur.execute(driver.sql(STORED_SQL.format(marks=", ".join("?" * len(part)))), part)
        for rating_id, stored_uuid, *content in cur.fetchall():
            content[-1] = read_time(content[-1])  # created_at, the last of CONTENT_FIELDS
            found[rating_id] = (by_bound[stored_uuid], tuple(content))
    reasons: dict[int, set[str]] = {}
    ids = list(found)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        part = ids[start:start + LOOKUP_CHUNK]
        cur.execute(driver.sql(STORED_REASONS_SQL.format(marks=", ".join("?" * len(part)))), part)
        for rating_id, code in cur.fetchall():
            reasons.setdefault(rating_id, set()).add(code)
    return {key: (*content, frozenset(reasons.get(rating_id, ()))) for rating_id, (key, content) in found.items()}


@lru_cache(maxsize=16)
def _reasons_sql(n_links: int, uuid_type: str) -> str:
    # The insert returned no ids (see ``_insert``): each rating is found by its UUID,
    # bound as for the insert and cast to the column's type (PostgreSQL compares no uuid with text).
    return (
        f"WITH links (code, uuid) AS (VALUES {', '.join(['(?, ?)'] * n_links)}) "
        "INSERT INTO rating_reasons (rating_id, reason_code) SELECT ratings.id, links.code "
        f"FROM links JOIN ratings ON ratings.uuid = CAST(links.uuid AS {uuid_type})"
    )


# New ratings: (UUID as bound, its batch, the rating).
NewRows = list[tuple[Any, PreparedRatings, ValidRating]]


def _store_reasons(cur: Any, driver: Driver, new_rows: NewRows) -> None:
    links = [(code, bound) for bound, _, row in new_rows if row.reasons for code in sorted(row.reasons)]
    uuid_type = driver.type_sql(Rating.__table__.c.uuid.type)
    _execute_in_chunks(cur, driver, partial(_reasons_sql, uuid_type=uuid_type), links)


@lru_cache(maxsize=16)
def _intake_sql(n_ratings: int, uuid_type: str) -> str:
    marks = ", ".join([f"CAST(? AS {uuid_type})"] * n_ratings)
    return f"INSERT INTO complaint_intake (rating_id) SELECT id FROM ratings WHERE uuid IN ({marks})"


def _take_in_complaints(cur: Any, driver: Driver, bound_uuids: list[Any]) -> None:
    """Queue the new ratings that name an integrity reason for filing into a case (``cases``).

    In the ratings' own transaction: a complaint the service acknowledged
    cannot miss its case. Ordinary ratings cost nothing here.
    """
    if bound_uuids:
        uuid_type = driver.type_sql(Rating.__table__.c.uuid.type)
        _execute_in_chunks(cur, driver, partial(_intake_sql, uuid_type=uuid_type), [(u,) for u in bound_uuids])


@lru_cache(maxsize=4)
def _not_on_duty_sql(n_ratings: int, json_mark: str) -> str:
    return (
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after) VALUES "
        + ", ".join([f"(?, ?, 'officer_not_on_duty', 'rating', ?, {json_mark}, {json_mark})"] * n_ratings)
    )


def _record_officers_not_on_duty(cur: Any, driver: Driver, new: list[tuple[str, PreparedRatings]]) -> None:
    """An audit entry for each new rating stored for nobody although the kiosk named an officer.

    Nothing else keeps which officer the kiosk named. The entry is the
    kiosk's (``kiosk:<id>``), made when the rating arrived; the watch turns
    them into alerts (``watch_rules``). Ordinary ratings cost nothing here.
    """
    named = [(key, batch) for key, batch in new if batch.rows[key].named_officer_id is not None]
    if not named:
        return
    json_type = AuditEntry.__table__.c.before.type
    # PostgreSQL takes text for a JSON column only through a cast; SQLite keeps the text as it is.
    json_mark = f"CAST(? AS {driver.type_sql(json_type)})" if driver.dialect.name == "postgresql" else "?"
    bind_time = driver.binders((Rating.__table__.c.received_at.type,))[0] or _same
    nobody = json.dumps({"officer_id": None})
    rows = [
        (bind_time(batch.received_at), f"kiosk:{batch.kiosk_id}", key,
         json.dumps({"officer_id": batch.rows[key].named_officer_id}), nobody)
        for key, batch in named
    ]
    _execute_in_chunks(cur, driver, partial(_not_on_duty_sql, json_mark=json_mark), rows)


def _count(cur: Any, driver: Driver, new_rows: NewRows) -> None:
    """SQLite: add the new ratings to the daily counts the reports read (``counts_from`` on PostgreSQL)."""
    scores = Counter((row.day, row.officer_id or 0, batch.desk_id, row.score) for _, batch, row in new_rows)
    reasons = Counter(
        (row.day, row.officer_id or 0, batch.desk_id, code) for _, batch, row in new_rows for code in row.reasons
    )
    increment_counts(cur, driver, "daily_counts", scores)
    increment_counts(cur, driver, "monthly_counts", by_month(scores))
    increment_counts(cur, driver, "daily_reason_counts", reasons)
