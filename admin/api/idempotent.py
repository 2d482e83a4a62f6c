"""Inserting rows keyed by a UUID made on the kiosk, each at most once."""
from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import Table, select

from ..db import db
from .wire import BatchResult, ItemError, require_uuid


def insert_new(table: Table, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the rows whose ``uuid`` is not stored yet; return ``{canonical uuid: id}`` of those inserted.

    Look up, then insert: both statements compile once and are cached, which
    ``INSERT ... ON CONFLICT`` is not in SQLAlchemy 2.0. On SQLite writers
    are serialized, so nothing can slip in between. On PostgreSQL another
    transaction can insert the same UUID in between: this one then fails
    with ``IntegrityError`` on the unique index and the caller runs the
    batch again, when the look-up finds the row (``endpoints.store_batch``).
    """
    if not rows:
        return {}
    conn = db.session.connection()
    stored = set(conn.execute(select(table.c.uuid).where(table.c.uuid.in_([r["uuid"] for r in rows]))).scalars())
    new = [r for r in rows if r["uuid"] not in stored]
    if not new:
        return {}
    return {str(key): row_id for key, row_id in conn.execute(table.insert().returning(table.c.uuid, table.c.id), new)}


def validate_items(
    items: list[dict[str, Any]], validate: Callable[[dict[str, Any]], dict[str, Any]], result: BatchResult
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """Validate each item of a batch once, by the first occurrence of its id.

    Returns the valid rows by canonical UUID and the ``(id as sent,
    canonical UUID)`` pairs in request order; invalid items go to
    ``result.rejected``. An item without a UUID id fails the whole request.
    """
    rows: dict[str, dict[str, Any]] = {}
    order: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in items:
        item_id, key = require_uuid(item)
        # By the UUID, not its spelling: upper and lower case name the same press.
        if key in seen:
            continue
        seen.add(key)
        try:
            row = validate(item)
        except ItemError as err:
            result.reject(item_id, err)
            continue
        rows[key] = row
        order.append((item_id, key))
    return rows, order


def settle(
    result: BatchResult,
    order: list[tuple[str, str]],
    inserted: Collection[str],
    stored: dict[str, tuple],
    contents: dict[str, tuple],
    noun: str,
) -> None:
    """Sort each valid item into accepted, duplicate (same content as stored) or conflict."""
    for item_id, key in order:
        if key in inserted:
            result.accepted.append(item_id)
        elif stored.get(key) == contents[key]:
            result.duplicates.append(item_id)
        else:
            result.reject(item_id, ItemError("conflict", f"This id was already used for a different {noun}."))
