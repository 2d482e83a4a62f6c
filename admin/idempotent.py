"""Inserting rows keyed by a UUID made on the kiosk, each at most once."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table

from .db import db, dialect_insert
from .wire import BatchResult, ItemError, require_uuid


def insert_new(table: Table, rows: list[dict[str, Any]]) -> dict[uuid.UUID, int]:
    """Insert the rows whose ``uuid`` is not stored yet; return ``{uuid: id}`` of those inserted.

    ``ON CONFLICT (uuid) DO NOTHING`` makes this safe against the same UUID
    arriving from several requests at once: PostgreSQL makes the second
    insert wait for the first and then skip it; SQLite serializes writers.
    """
    if not rows:
        return {}
    stmt = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=["uuid"])
        .returning(table.c.uuid, table.c.id)
    )
    return {key: row_id for key, row_id in db.session.execute(stmt, rows)}


def validate_items(
    items: list[dict[str, Any]], validate: Callable[[dict[str, Any]], dict[str, Any]], result: BatchResult
) -> tuple[dict[uuid.UUID, dict[str, Any]], list[tuple[str, uuid.UUID]]]:
    """Validate each item of a batch once, by the first occurrence of its id.

    Returns the valid rows by UUID (each with its ``uuid``) and the
    ``(id as sent, UUID)`` pairs in request order; invalid items go to
    ``result.rejected``. An item without a UUID id fails the whole request.
    """
    rows: dict[uuid.UUID, dict[str, Any]] = {}
    order: list[tuple[str, uuid.UUID]] = []
    seen: set[uuid.UUID] = set()
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
        row["uuid"] = key
        rows[key] = row
        order.append((item_id, key))
    return rows, order


def settle(
    result: BatchResult,
    order: list[tuple[str, uuid.UUID]],
    inserted: dict[uuid.UUID, int],
    stored: dict[uuid.UUID, tuple],
    contents: dict[uuid.UUID, tuple],
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
