"""Duty at a desk: who serves there and when, scheduled by a manager.

Officers can also sign in and out at the kiosk; those periods show here too
(origin "kiosk"). The kiosk's config names whoever is on duty now.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms import DateTimeLocalField, SelectField
from wtforms.validators import DataRequired, Optional, ValidationError

from .. import audit
from ..access import EDITORS, get_visible_or_404, require_role
from ..db import db, utcnow, write_transaction
from ..duty import DutyOverlap, end_period, schedule
from ..models import Desk, DutyPeriod, Officer
from . import bp
from .changes import audited, record_creation
from .forms import Form, select_choices

snapshot = partial(audit.snapshot, fields=("desk_id", "officer_id", "starts_at", "ends_at", "origin"))
# How far back the desk's page lists past periods.
HISTORY = timedelta(days=30)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class ScheduleForm(Form):
    officer_id = SelectField(_l("Officer"), coerce=int)
    starts_at = DateTimeLocalField(
        _l("From"), format=LOCAL_FORMAT, validators=[DataRequired(_l("Enter when the duty starts."))]
    )
    ends_at = DateTimeLocalField(
        _l("Until"), format=LOCAL_FORMAT, validators=[Optional()],
        description=_l("Leave empty while the officer stays at this desk."),
    )

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must come after the start."))


def schedule_form(desk: Desk) -> ScheduleForm:
    form = ScheduleForm()
    officers = db.session.scalars(
        select(Officer).where(Officer.unit_id == desk.unit_id, Officer.active.is_(True)).order_by(Officer.name)
    )
    form.officer_id.choices = select_choices((o.id, f"{o.name} ({o.code})") for o in officers)
    return form


def local_to_utc(value: datetime) -> datetime:
    """A time typed in the console, read in the service's time zone."""
    return value.replace(tzinfo=current_app.config["TZ"]).astimezone(timezone.utc)


def duty_page(desk: Desk, form: ScheduleForm):
    """The desk's duty periods of the last month and to come, with the form to schedule one."""
    periods = db.session.scalars(
        select(DutyPeriod)
        .options(joinedload(DutyPeriod.officer))
        .where(
            DutyPeriod.desk_id == desk.id,
            or_(DutyPeriod.ends_at.is_(None), DutyPeriod.ends_at > utcnow() - HISTORY),
        )
        .order_by(DutyPeriod.starts_at.desc())
    ).all()
    return render_template("console/desk_duty.html", desk=desk, form=form, periods=periods, now=utcnow())


@bp.get("/desks/<int:desk_id>/duty")
def desk_duty(desk_id: int):
    desk = get_visible_or_404(current_user, Desk, desk_id)
    return duty_page(desk, schedule_form(desk))


@bp.post("/desks/<int:desk_id>/duty")
@require_role(*EDITORS)
def duty_schedule(desk_id: int):
    desk = get_visible_or_404(current_user, Desk, desk_id)
    form = schedule_form(desk)
    if form.validate_on_submit():
        write_transaction()
        try:
            period = schedule(
                desk.id,
                form.officer_id.data,
                local_to_utc(form.starts_at.data),
                local_to_utc(form.ends_at.data) if form.ends_at.data else None,
            )
        except DutyOverlap:
            db.session.rollback()
            form.starts_at.errors.append(gettext("Another officer is on duty at this desk during that time."))
        else:
            record_creation("duty", period, snapshot)
            flash(gettext("Duty scheduled."), "success")
            return redirect(url_for("console.desk_duty", desk_id=desk.id))
    return duty_page(desk, form)


@bp.post("/desks/<int:desk_id>/duty/<int:period_id>/end")
@require_role(*EDITORS)
def duty_end(desk_id: int, period_id: int):
    desk = get_visible_or_404(current_user, Desk, desk_id)
    period = db.session.get(DutyPeriod, period_id)
    if period is None or period.desk_id != desk.id:
        abort(404)
    with audited("update", "duty", period, snapshot):
        end_period(period, utcnow())
    flash(gettext("Duty ended."), "success")
    return redirect(url_for("console.desk_duty", desk_id=desk.id))
