"""The admin console: server-rendered pages for managers, inspectors and administrators.

One blueprint; its views live in one module per concern, imported at the
bottom so that they can register themselves on ``bp``.
"""
from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user, login_required

from ..access import can_edit, can_see_integrity

bp = Blueprint("console", __name__)


@bp.before_request
@login_required
def require_sign_in():
    """Every console page needs a signed-in user; read-only roles never send a change.

    Each changing view also says who may use it; this catches a POST route
    that forgot to.
    """
    if request.method == "POST" and not can_edit(current_user):
        abort(403)


@bp.app_context_processor
def role_context():
    if not current_user.is_authenticated:
        return {}
    return {"can_edit": can_edit(current_user), "can_see_integrity": can_see_integrity(current_user)}


from . import (  # noqa: E402,F401  (each registers its pages on bp)
    audit_pages,
    complaint_pages,
    dashboard_page,
    desk_pages,
    duty_pages,
    kiosk_pages,
    officer_pages,
    report_pages,
    unit_pages,
    user_pages,
)
