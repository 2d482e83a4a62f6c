"""Officers: who serves at the desks, their photo, and their kiosk sign-in PIN."""
from __future__ import annotations

from functools import partial

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer
from werkzeug.security import generate_password_hash
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from .. import audit
from ..access import EDITORS, get_visible_or_404, in_visible_units, require_role, visible_unit_root
from ..db import db, utcnow, write_transaction
from ..models import Officer, OfficerPhoto, Unit
from ..officers import CodeTaken, saving_code
from ..photos import PhotoError, clean_photo
from ..units import unit_choices
from . import bp
from .changes import audited, record_creation
from .forms import Form, select_choices

snapshot = partial(audit.snapshot, fields=("code", "name", "title", "unit_id", "active"))


class OfficerForm(Form):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the officer's code.")), Length(max=40)],
        description=_l("Unique, for example MT-001."),
    )
    name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter the officer's name.")), Length(max=200)]
    )
    title = StringField(_l("Job title"), validators=[Length(max=200)])
    unit_id = SelectField(_l("Unit"), coerce=int)
    active = BooleanField(_l("Working (shown on the kiosks)"), default=True)


class PhotoForm(Form):
    photo = FileField(
        _l("Photo"),
        validators=[FileRequired(_l("Choose a photo to upload."))],
        description=_l("A JPEG or PNG picture of the face, as citizens will see it on the kiosk."),
        render_kw={"accept": "image/jpeg,image/png"},
    )


class PinForm(Form):
    pin = PasswordField(
        _l("New PIN"),
        validators=[Regexp(r"^\d{4,8}$", message=_l("A PIN is 4 to 8 digits."))],
        description=_l("The officer types it at the kiosk to sign in at the desk."),
        render_kw={"inputmode": "numeric", "autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("PIN again"),
        validators=[EqualTo("pin", message=_l("The two PINs are not the same."))],
        render_kw={"inputmode": "numeric", "autocomplete": "new-password"},
    )


def officer_form(officer: Officer | None = None, **kwargs) -> OfficerForm:
    form = OfficerForm(obj=officer, **kwargs)
    form.unit_id.choices = select_choices(unit_choices(visible_unit_root(current_user)))
    return form


def render_officer(officer: Officer, form=None, photo_form=None, pin_form=None) -> str:
    """The officer's page: details, photo and PIN, each form with its own errors.

    The forms that were not sent are filled from the officer, not from the
    request, which carries another form's fields.
    """
    return render_template(
        "console/officer_form.html",
        officer=officer,
        form=form or officer_form(officer, formdata=None),
        photo_form=photo_form or PhotoForm(formdata=None),
        pin_form=pin_form or PinForm(formdata=None),
    )


@bp.get("/officers")
def officers():
    stmt = (
        select(Officer)
        .join(Unit, Officer.unit_id == Unit.id)
        .options(joinedload(Officer.unit), joinedload(Officer.photo))
        .order_by(Unit.path, Officer.name)
    )
    rows = db.session.scalars(in_visible_units(current_user, stmt, Officer.unit_id)).all()
    return render_template("console/officers.html", officers=rows)


@bp.route("/officers/new", methods=("GET", "POST"))
@require_role(*EDITORS)
def officer_new():
    form = officer_form()
    if form.validate_on_submit():
        code = form.code.data.strip()
        write_transaction()
        officer = Officer(
            code=code,
            name=form.name.data.strip(),
            title=(form.title.data or "").strip(),
            unit_id=form.unit_id.data,
            active=form.active.data,
        )
        try:
            with saving_code(code, None):
                record_creation("officer", officer, snapshot)
        except CodeTaken as taken:
            form.code.errors.append(str(taken.message))
        else:
            flash(gettext("Officer %(name)s added. Add a photo and a PIN below.", name=officer.name), "success")
            return redirect(url_for("console.officer_edit", officer_id=officer.id))
    return render_template("console/officer_new.html", form=form)


@bp.route("/officers/<int:officer_id>/edit", methods=("GET", "POST"))
@require_role(*EDITORS)
def officer_edit(officer_id: int):
    officer = get_visible_or_404(current_user, Officer, officer_id)
    form = officer_form(officer)
    if not form.validate_on_submit():
        return render_officer(officer, form=form)
    code = form.code.data.strip()
    try:
        with saving_code(code, officer.id):
            apply_officer_form(officer, form, code)
    except CodeTaken as taken:
        form.code.errors.append(str(taken.message))
        return render_officer(db.session.get(Officer, officer_id), form=form)
    flash(gettext("Officer %(name)s saved.", name=officer.name), "success")
    return redirect(url_for("console.officer_edit", officer_id=officer.id))


def apply_officer_form(officer: Officer, form: OfficerForm, code: str) -> None:
    with audited("update", "officer", officer, snapshot):
        officer.code, officer.name = code, form.name.data.strip()
        officer.title = (form.title.data or "").strip()
        officer.unit_id, officer.active = form.unit_id.data, form.active.data


@bp.post("/officers/<int:officer_id>/photo")
@require_role(*EDITORS)
def officer_photo_upload(officer_id: int):
    """Replace the officer's photo with an uploaded JPEG or PNG; anything else changes nothing."""
    officer = get_visible_or_404(current_user, Officer, officer_id)
    photo_form = PhotoForm()
    if not photo_form.validate_on_submit():
        return render_officer(officer, photo_form=photo_form)
    limit = current_app.config["PHOTO_MAX_BYTES"]
    try:
        content_type, data = clean_photo(photo_form.photo.data.read(limit + 1), limit)
    except PhotoError as err:
        photo_form.photo.errors.append(str(err))
        return render_officer(officer, photo_form=photo_form)
    with audited("photo", "officer", officer, photo_snapshot):
        if officer.photo is None:
            officer.photo = OfficerPhoto(content_type=content_type, data=data, updated_at=utcnow())
        else:
            officer.photo.content_type, officer.photo.data = content_type, data
            officer.photo.updated_at = utcnow()
    flash(gettext("Photo saved."), "success")
    return redirect(url_for("console.officer_edit", officer_id=officer.id))


def photo_snapshot(officer: Officer) -> dict | None:
    # The picture itself is not copied into the log: its type, size and time say enough.
    photo = officer.photo
    if photo is None:
        return None
    return {"content_type": photo.content_type, "bytes": len(photo.data), "updated_at": photo.updated_at.isoformat()}


def pin_snapshot(officer: Officer) -> dict:
    # Only whether a PIN is set: even its hash stays out of the log.
    return {"pin_set": officer.pin_hash is not None}


@bp.get("/officers/<int:officer_id>/photo")
def officer_photo(officer_id: int):
    """The officer's photo, for signed-in users who may see the officer."""
    officer = get_visible_or_404(current_user, Officer, officer_id)
    photo = db.session.execute(
        select(OfficerPhoto).options(undefer(OfficerPhoto.data)).where(OfficerPhoto.officer_id == officer.id)
    ).scalar_one_or_none()
    if photo is None:
        abort(404)
    response = Response(photo.data, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.post("/officers/<int:officer_id>/pin")
@require_role(*EDITORS)
def officer_pin(officer_id: int):
    """Set the officer's kiosk sign-in PIN; only a salted hash is kept."""
    officer = get_visible_or_404(current_user, Officer, officer_id)
    pin_form = PinForm()
    if not pin_form.validate_on_submit():
        return render_officer(officer, pin_form=pin_form)
    with audited("pin", "officer", officer, pin_snapshot):
        officer.pin_hash = generate_password_hash(pin_form.pin.data)
    flash(gettext("PIN set. The kiosks learn it at their next configuration update."), "success")
    return redirect(url_for("console.officer_edit", officer_id=officer.id))
