"""The admin console: server-rendered pages for managers, inspectors and administrators.

One blueprint; its views live in one module per concern, imported at the
bottom so that they can register themselves on ``bp``.
"""
from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user, login_required

from .. import watch
from ..access import can_edit, can_see_integrity

bp = Blueprint("console", __name__)

# Console endpoints an inspector may POST to: the handling of cases.
INSPECTOR_POSTS: set[str] = set()


def inspectors_may_post(view):
    """Mark a view that an inspector may send changes to; the view itself checks who exactly."""
    INSPECTOR_POSTS.add(f"{bp.name}.{view.__name__}")
    return view


@bp.before_request
@login_required
def require_sign_in():
    """Every console page needs a signed-in user; read-only roles never send a change.

    Each changing view also says who may use it; this catches a POST route
    that forgot to. Inspectors change cases and nothing else.
    """
    if request.method != "POST" or can_edit(current_user):
        return
    if not (current_user.role == "inspector" and request.endpoint in INSPECTOR_POSTS):
        abort(403)


@bp.app_context_processor
def role_context():
    if not current_user.is_authenticated:
        return {}
    integrity = can_see_integrity(current_user)
    return {
        "can_edit": can_edit(current_user),
        "can_see_integrity": integrity,
        # The count of new cases beside the menu entry, on every page.
        "new_cases": case_pages.open_case_count(current_user) if integrity else 0,
        "new_alerts": watch.open_alert_count(current_user),
    }


from . import (  # noqa: E402,F401  (each registers its pages on bp)
    alert_pages,
    audit_pages,
    case_pages,
    complaint_pages,
    dashboard_page,
    desk_pages,
    duty_pages,
    kiosk_pages,
    officer_pages,
    official_pages,
    report_pages,
    unit_pages,
    user_pages,
)
