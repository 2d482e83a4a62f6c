"""Kiosks: register one at a desk, see whether it is alive, rotate or revoke its token.

A token is shown once, on the page that answers the registration or the
rotation, and never again: the database keeps only its hash.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from .. import audit
from ..access import EDITORS, get_visible_or_404, in_visible_units, require_role
from ..db import db, utcnow, write_transaction
from ..kiosks import is_online, register_kiosk, revoke, rotate_token
from ..models import Desk, Kiosk, Unit
from ..reports.seq_gaps import seq_gaps
from . import bp
from .changes import audited, record_creation
from .forms import Form, select_choices


class KioskForm(Form):
    desk_id = SelectField(_l("Desk"), coerce=int)
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter a name for the kiosk.")), Length(max=200)],
        description=_l("Shown on this console, for example: Mai Trung — quầy 2"),
    )


def kiosk_snapshot(kiosk: Kiosk) -> dict:
    # The start of the token's hash tells entries apart when a token is
    # replaced, without putting anything usable in the log.
    return {**audit.snapshot(kiosk, ("desk_id", "name", "enabled")), "token": kiosk.token_hash[:8]}


def visible_kiosks_select():
    stmt = (
        select(Kiosk)
        .join(Desk, Kiosk.desk_id == Desk.id)
        .join(Unit, Desk.unit_id == Unit.id)
        .options(joinedload(Kiosk.desk).joinedload(Desk.unit))
        .order_by(Unit.path, Desk.name, Kiosk.name)
    )
    return in_visible_units(current_user, stmt, Desk.unit_id)


@bp.get("/kiosks")
def kiosks():
    rows = db.session.scalars(visible_kiosks_select()).all()
    return render_template("console/kiosks.html", kiosks=rows, now=utcnow(), is_online=is_online)


@bp.get("/kiosks/<int:kiosk_id>")
def kiosk(kiosk_id: int):
    kiosk = get_visible_or_404(current_user, Kiosk, kiosk_id)
    return render_template(
        "console/kiosk.html",
        kiosk=kiosk,
        heartbeat=kiosk.last_heartbeat or {},
        now=utcnow(),
        is_online=is_online,
        gaps=seq_gaps(kiosk.id, last_seq=(kiosk.last_heartbeat or {}).get("last_seq")),
    )


@bp.route("/kiosks/new", methods=("GET", "POST"))
@require_role(*EDITORS)
def kiosk_new():
    form = KioskForm()
    desks = db.session.scalars(
        in_visible_units(
            current_user,
            select(Desk).join(Unit, Desk.unit_id == Unit.id).options(joinedload(Desk.unit)).order_by(Unit.path, Desk.name),
            Desk.unit_id,
        )
    ).all()
    form.desk_id.choices = select_choices((desk.id, f"{desk.unit.name} — {desk.name}") for desk in desks)
    if form.validate_on_submit():
        write_transaction()
        kiosk, token = register_kiosk(db.session.get(Desk, form.desk_id.data), form.name.data.strip())
        record_creation("kiosk", kiosk, kiosk_snapshot)
        return render_template("console/kiosk_token.html", kiosk=kiosk, token=token, rotated=False)
    return render_template("console/kiosk_new.html", form=form)


@bp.post("/kiosks/<int:kiosk_id>/rotate")
@require_role(*EDITORS)
def kiosk_rotate(kiosk_id: int):
    """Issue a new token; the old one stops working at once."""
    kiosk = get_visible_or_404(current_user, Kiosk, kiosk_id)
    with audited("rotate_token", "kiosk", kiosk, kiosk_snapshot):
        token = rotate_token(kiosk)
    return render_template("console/kiosk_token.html", kiosk=kiosk, token=token, rotated=True)


@bp.post("/kiosks/<int:kiosk_id>/revoke")
@require_role(*EDITORS)
def kiosk_revoke(kiosk_id: int):
    """Stop accepting the kiosk's token; its ratings stay."""
    kiosk = get_visible_or_404(current_user, Kiosk, kiosk_id)
    with audited("revoke", "kiosk", kiosk, kiosk_snapshot):
        revoke(kiosk)
    flash(gettext("Kiosk “%(name)s” revoked: its token no longer works.", name=kiosk.name), "success")
    return redirect(url_for("console.kiosk", kiosk_id=kiosk.id))
