"""Who may see and change what in the console.

- admin: everything.
- manager: their unit and the units below it; may change them; never sees an
  integrity reason (harassment, bribe-seeking), which is for inspectors.
- inspector: reads their unit tree, with the integrity complaints in it.
- viewer: reads their unit tree (everything when they have no unit), without
  integrity reasons; changes nothing.

Anything outside a person's tree is answered 404, as if it did not exist, so
the console does not even confirm that another unit's officer exists.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select

from .db import db
from .models import Desk, Kiosk, Officer, Unit, User
from .units import subtree_unit_ids_select, unit_in_subtree

EDITORS = ("admin", "manager")
INTEGRITY_READERS = ("admin", "inspector")
# Roles that only see a part of the tree, and must therefore have a unit.
UNIT_BOUND = ("manager", "inspector")


def visible_unit_root(user: User) -> int | None:
    """The unit at the top of what ``user`` may see, or None for the whole tree.

    A manager or inspector without a unit sees nothing rather than everything.
    """
    if user.role == "admin":
        return None
    if user.role in UNIT_BOUND and user.unit_id is None:
        abort(403)
    return user.unit_id


def can_see_integrity(user: User) -> bool:
    """Whether ``user`` may see integrity reasons (harassment, bribe-seeking) and who they name."""
    return user.role in INTEGRITY_READERS


def can_edit(user: User) -> bool:
    """Whether ``user`` may change anything (within what they see)."""
    return user.role in EDITORS


def require_role(*roles: str):
    """A view decorator: 403 unless the signed-in user has one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def check_unit_access(user: User, unit_id: int | None) -> None:
    """404 unless unit ``unit_id`` exists and lies in what ``user`` may see."""
    if unit_id is None or db.session.get(Unit, unit_id) is None:
        abort(404)
    root = visible_unit_root(user)
    if root is not None and not unit_in_subtree(unit_id, root):
        abort(404)


def unit_id_of(obj: Unit | Desk | Officer | Kiosk) -> int:
    """The unit that owns a unit, desk, officer or kiosk, for the scope check."""
    if isinstance(obj, Unit):
        return obj.id
    if isinstance(obj, Kiosk):
        return obj.desk.unit_id
    return obj.unit_id


def get_visible_or_404(user: User, model: type, ident: int):
    """The ``model`` row ``ident`` if it exists and ``user`` may see it, else 404."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    check_unit_access(user, unit_id_of(obj))
    return obj


def in_visible_units(user: User, stmt: Select, unit_column: ColumnElement) -> Select:
    """``stmt`` narrowed to rows whose ``unit_column`` lies in what ``user`` may see."""
    root = visible_unit_root(user)
    if root is None:
        return stmt
    return stmt.where(unit_column.in_(subtree_unit_ids_select(root)))
