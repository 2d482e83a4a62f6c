"""The audit log (administrators only): who changed what, when, and the values before and after."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..access import require_role
from ..db import db
from ..models import AuditEntry
from . import bp

PAGE_SIZE = 50
# What the console writes; anything else (the commands' entries) is shown as recorded.
ACTIONS = {
    "create": _l("created"),
    "update": _l("changed"),
    "photo": _l("new photo for"),
    "pin": _l("new PIN for"),
    "rotate_token": _l("new token for"),
    "revoke": _l("revoked"),
    "reset_password": _l("new password for"),
    "lock_sign_in": _l("sign-in paused for"),
    "unlock_sign_in": _l("sign-in opened again for"),
    "end_sessions": _l("signed out everywhere:"),
    "officer_not_on_duty": _l("rating kept for nobody on duty, not for the officer named:"),
}
ENTITIES = {
    "unit": _l("unit"),
    "desk": _l("desk"),
    "officer": _l("officer"),
    "kiosk": _l("kiosk"),
    "user": _l("account"),
    "duty": _l("duty period"),
    "sign_in": _l("sign-in"),
    "rating": _l("rating"),
}


@bp.get("/audit")
@require_role("admin")
def audit_log():
    """The newest changes first, a page at a time."""
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    entries = db.session.scalars(
        select(AuditEntry)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "console/audit_log.html",
        entries=entries,
        page=page,
        has_next=page * PAGE_SIZE < total,
        actions=ACTIONS,
        entities=ENTITIES,
    )
