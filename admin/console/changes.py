"""Saving a change made through the console together with its audit entry, in one commit."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .. import audit
from ..db import db, write_transaction

Snapshot = Callable[[Any], dict[str, Any] | None]


@contextmanager
def audited(action: str, entity: str, obj: Any, snapshot: Snapshot) -> Iterator[Any]:
    """Change ``obj`` inside the block; the change and its audit entry are committed together.

    The write lock is taken first, so that the "before" values read here are
    the ones the change replaces. If the block raises, nothing is committed.
    """
    write_transaction()
    before = snapshot(obj)
    yield obj
    db.session.flush()
    audit.record(action, entity, obj.id, before, snapshot(obj))
    db.session.commit()


def record_creation(entity: str, obj: Any, snapshot: Snapshot) -> None:
    """Insert ``obj`` (built after ``write_transaction()``) and its "create" entry in one commit."""
    db.session.add(obj)
    db.session.flush()
    audit.record("create", entity, obj.id, None, snapshot(obj))
    db.session.commit()
