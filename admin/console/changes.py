"""Saving a change made through the console together with its audit entry, in one commit."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .. import audit
from ..db import db, write_transaction
from ..refused import Refused
from .forms import Form

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


def saved(form: Form, action: str, entity: str, obj: Any, snapshot: Snapshot, change: Callable[[], Any]) -> bool:
    """Check ``form``, then make ``change()`` on ``obj`` with its audit entry; True once committed.

    False when the form has errors, or when ``change`` refused (``Refused``):
    nothing is stored and the refusal is shown beside its field.
    """
    if not form.validate_on_submit():
        return False
    try:
        with audited(action, entity, obj, snapshot):
            change()
    except Refused as refused:
        db.session.rollback()
        getattr(form, refused.field).errors = [str(refused.message)]
        return False
    return True
