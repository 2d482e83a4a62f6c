"""The audit log: every change made through the console or the commands.

``record`` adds an entry to the current session, so it is committed with the
change it describes, or rolled back with it.
"""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from .db import db
from .models import AuditEntry


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of ``obj`` as a JSON-ready dict, for ``before`` and ``after``."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def record(
    action: str,
    entity: str,
    entity_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Add an audit entry. Outside a request, ``actor`` names who ran the command."""
    user_id = None
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if current_user and current_user.is_authenticated:
            user_id = current_user.id
            actor = actor or current_user.username
    entry = AuditEntry(
        user_id=user_id,
        actor=actor or "cli",
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        ip=ip,
    )
    db.session.add(entry)
    return entry
