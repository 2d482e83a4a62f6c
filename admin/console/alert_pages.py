"""Watch alerts: the list for each role, one alert, acknowledging it and closing it with a note.

Each alert goes to one role (``models.WATCH_RULES``): a manager sees and
handles the managers' alerts of their unit tree, an inspector the
inspectors', an administrator all of them. Viewers see none.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case as when, select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

from .. import watch
from ..access import require_role
from ..alerts.messages import RULE_TITLES, describe
from ..db import db
from ..models import WATCH_RULES, WatchAlert
from . import bp, inspectors_may_post
from .changes import saved
from .forms import Form, QueryForm, select_choices

HANDLERS = ("admin", "manager", "inspector")
STATUS_LABELS = {"open": _l("New"), "acknowledged": _l("Acknowledged"), "closed": _l("Closed")}
ROLE_LABELS = {"admin": _l("Administrators"), "manager": _l("Unit managers"), "inspector": _l("Inspectors")}
LIMIT = 200
# Alert ids are bigint: the routes accept more than other ids (admin/url_ids.py).
ALERT_ID = f"<int(max={2**62}):alert_id>"


class AlertFilter(QueryForm):
    status = SelectField(
        _l("Status"), default="unresolved",
        choices=select_choices([("unresolved", _l("Not closed")), ("open", _l("New")),
                                ("acknowledged", _l("Acknowledged")), ("closed", _l("Closed")), ("all", _l("All"))]),
    )


class AckForm(Form):
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=watch.MAX_NOTE)])


class CloseForm(Form):
    note = TextAreaField(_l("What was done"), validators=[Length(max=watch.MAX_NOTE)])


def visible_alert_or_404(alert_id: int) -> WatchAlert:
    alert = db.session.get(WatchAlert, alert_id)
    if alert is None or db.session.scalar(
        watch.visible_alerts(current_user, select(WatchAlert.id).where(WatchAlert.id == alert.id))
    ) is None:
        abort(404)
    return alert


@bp.get("/alerts")
@require_role(*HANDLERS)
def alerts_list():
    form = AlertFilter()
    form.validate_on_submit()
    status = form.status.data if form.status.data in {c.value for c in form.status.choices} else "unresolved"
    stmt = (
        select(WatchAlert)
        .options(joinedload(WatchAlert.unit), joinedload(WatchAlert.officer), joinedload(WatchAlert.desk),
                 joinedload(WatchAlert.kiosk))
        .order_by(when((WatchAlert.status == "open", 0), (WatchAlert.status == "acknowledged", 1), else_=2),
                  WatchAlert.opened_at.desc(), WatchAlert.id.desc())
        .limit(LIMIT)
    )
    if status == "unresolved":
        stmt = stmt.where(WatchAlert.status != "closed")
    elif status != "all":
        stmt = stmt.where(WatchAlert.status == status)
    found = db.session.scalars(watch.visible_alerts(current_user, stmt)).all()
    return render_template(
        "console/alerts.html", form=form, alerts=found, titles=RULE_TITLES, describe=describe,
        status_labels=STATUS_LABELS, role_labels=ROLE_LABELS, truncated=len(found) == LIMIT, limit=LIMIT,
    )


@bp.get(f"/alerts/{ALERT_ID}")
@require_role(*HANDLERS)
def alert_detail(alert_id: int):
    return _render_alert(visible_alert_or_404(alert_id))


def _render_alert(alert: WatchAlert, ack_form=None, close_form=None, status: int = 200):
    return render_template(
        "console/alert.html", alert=alert, titles=RULE_TITLES, description=describe(alert),
        status_labels=STATUS_LABELS, role_labels=ROLE_LABELS, may_handle=watch.can_handle(current_user, alert),
        ack_form=ack_form or AckForm(formdata=None), close_form=close_form or CloseForm(formdata=None),
        audience=WATCH_RULES[alert.rule],
    ), status


def _handle(alert_id: int, form_class, form_name: str, action: str, change, done_message):
    alert = visible_alert_or_404(alert_id)
    if not watch.can_handle(current_user, alert):
        abort(403)
    form = form_class()
    if not saved(form, action, "watch_alert", alert, watch.snapshot, lambda: change(alert, current_user, form.note.data)):
        return _render_alert(alert, **{form_name: form}, status=400)
    flash(done_message, "success")
    return redirect(url_for("console.alert_detail", alert_id=alert.id))


@bp.post(f"/alerts/{ALERT_ID}/acknowledge")
@require_role(*HANDLERS)
@inspectors_may_post
def alert_acknowledge(alert_id: int):
    return _handle(alert_id, AckForm, "ack_form", "acknowledge", watch.acknowledge, gettext("Alert acknowledged."))


@bp.post(f"/alerts/{ALERT_ID}/close")
@require_role(*HANDLERS)
@inspectors_may_post
def alert_close(alert_id: int):
    return _handle(alert_id, CloseForm, "close_form", "close", watch.close, gettext("Alert closed."))
