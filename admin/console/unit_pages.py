"""Units: the tree, and creating, renaming and moving a unit."""
from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import audit
from ..access import EDITORS, get_visible_or_404, in_visible_units, require_role, visible_unit_root
from ..db import db, write_transaction
from ..models import UNIT_KINDS, Unit
from ..units import create_unit, move_unit, unit_choices
from . import bp
from .changes import audited, record_creation
from .forms import Form, select_choices

KIND_LABELS = {
    "province": _l("Province"),
    "district": _l("District"),
    "commune": _l("Commune, ward or town"),
    "department": _l("Department"),
}
snapshot = partial(audit.snapshot, fields=("name", "kind", "parent_id", "path", "active"))
TOP_LEVEL = 0


class UnitForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the unit's name.")), Length(max=200)]
    )
    kind = SelectField(_l("Kind"), choices=select_choices((kind, KIND_LABELS[kind]) for kind in UNIT_KINDS))
    parent = SelectField(_l("Belongs to"), coerce=int)


def parent_choices(moving: Unit | None = None) -> list[SelectChoice]:
    """Where a unit may go: the person's tree (all of it, plus the top, for an admin).

    A unit that is being moved cannot go under itself or below itself.
    """
    root = visible_unit_root(current_user)
    choices = unit_choices(root)
    if moving is not None:
        below = set(db.session.scalars(select(Unit.id).where(Unit.path.like(moving.path + "%"))))
        choices = [(value, label) for value, label in choices if value not in below]
    if root is None:
        choices = [(TOP_LEVEL, gettext("(top level)")), *choices]
    return select_choices(choices)


@bp.get("/units")
def units():
    """The units the person may see, as an indented tree."""
    visible = {
        unit.id: unit
        for unit in db.session.scalars(in_visible_units(current_user, select(Unit), Unit.id))
    }
    top_depth = min((unit.path.count("/") for unit in visible.values()), default=0)
    rows = [
        (visible[unit_id], visible[unit_id].path.count("/") - top_depth)
        for unit_id, _label in unit_choices(visible_unit_root(current_user))
    ]
    return render_template("console/units.html", rows=rows, kind_labels=KIND_LABELS)


@bp.route("/units/new", methods=("GET", "POST"))
@require_role(*EDITORS)
def unit_new():
    form = UnitForm()
    form.parent.choices = parent_choices()
    if form.validate_on_submit():
        # The choices hold only the person's tree (and the top level for an admin).
        write_transaction()
        parent = db.session.get(Unit, form.parent.data) if form.parent.data else None
        record_creation("unit", create_unit(form.name.data, form.kind.data, parent), snapshot)
        flash(gettext("Unit “%(name)s” created.", name=form.name.data.strip()), "success")
        return redirect(url_for("console.units"))
    return render_template("console/unit_form.html", form=form, unit=None)


@bp.route("/units/<int:unit_id>/edit", methods=("GET", "POST"))
@require_role(*EDITORS)
def unit_edit(unit_id: int):
    """Rename a unit, change its kind, or move it elsewhere in the person's tree.

    A manager's own unit can be renamed but not moved: that would take it out
    of the tree they may manage.
    """
    unit = get_visible_or_404(current_user, Unit, unit_id)
    form = UnitForm(obj=unit, parent=unit.parent_id or TOP_LEVEL)
    if unit.id == visible_unit_root(current_user):
        del form.parent
    else:
        form.parent.choices = parent_choices(moving=unit)
    if form.validate_on_submit():
        with audited("update", "unit", unit, snapshot):
            unit.name = form.name.data.strip()
            unit.kind = form.kind.data
            # The choices hold only where this person may put the unit.
            if "parent" in form and (form.parent.data or None) != unit.parent_id:
                move_unit(unit, db.session.get(Unit, form.parent.data) if form.parent.data else None)
        flash(gettext("Unit “%(name)s” saved.", name=unit.name), "success")
        return redirect(url_for("console.units"))
    return render_template("console/unit_form.html", form=form, unit=unit)
