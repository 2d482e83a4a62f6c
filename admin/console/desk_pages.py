"""Desks: the reception desks of each unit, where the kiosks stand."""
from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from .. import audit
from ..access import EDITORS, get_visible_or_404, in_visible_units, require_role, visible_unit_root
from ..db import db, write_transaction
from ..models import Desk, Unit
from ..units import unit_choices
from . import bp
from .changes import audited, record_creation
from .forms import Form, select_choices

snapshot = partial(audit.snapshot, fields=("unit_id", "name", "active"))


class DeskForm(Form):
    unit_id = SelectField(_l("Unit"), coerce=int)
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the desk's name.")), Length(max=200)],
        description=_l("For example: Quầy 2 — Đất đai"),
    )
    active = BooleanField(_l("In use"), default=True)


def desk_form(desk: Desk | None = None) -> DeskForm:
    form = DeskForm(obj=desk)
    form.unit_id.choices = select_choices(unit_choices(visible_unit_root(current_user)))
    return form


@bp.get("/desks")
def desks():
    stmt = (
        select(Desk)
        .join(Unit, Desk.unit_id == Unit.id)
        .options(joinedload(Desk.unit), joinedload(Desk.kiosks))
        .order_by(Unit.path, Desk.name)
    )
    rows = db.session.scalars(in_visible_units(current_user, stmt, Desk.unit_id)).unique().all()
    return render_template("console/desks.html", desks=rows)


@bp.route("/desks/new", methods=("GET", "POST"))
@require_role(*EDITORS)
def desk_new():
    form = desk_form()
    if form.validate_on_submit():
        write_transaction()
        desk = Desk(unit_id=form.unit_id.data, name=form.name.data.strip(), active=form.active.data)
        record_creation("desk", desk, snapshot)
        flash(gettext("Desk “%(name)s” created.", name=desk.name), "success")
        return redirect(url_for("console.desks"))
    return render_template("console/desk_form.html", form=form, desk=None)


@bp.route("/desks/<int:desk_id>/edit", methods=("GET", "POST"))
@require_role(*EDITORS)
def desk_edit(desk_id: int):
    desk = get_visible_or_404(current_user, Desk, desk_id)
    form = desk_form(desk)
    if form.validate_on_submit():
        with audited("update", "desk", desk, snapshot):
            desk.unit_id, desk.name, desk.active = form.unit_id.data, form.name.data.strip(), form.active.data
        flash(gettext("Desk “%(name)s” saved.", name=desk.name), "success")
        return redirect(url_for("console.desks"))
    return render_template("console/desk_form.html", form=form, desk=desk)
