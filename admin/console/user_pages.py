"""Console accounts (administrators only): create, deactivate, reset a password, lift a sign-in pause."""
from __future__ import annotations

import hashlib

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from .. import audit
from ..access import require_role
from ..db import db, write_transaction
from ..models import ROLES, User
from ..units import unit_choices
from ..users import (
    UserRefused, check_password, check_role, check_username, clean_email, create_user, hash_password, snapshot,
)
from . import bp, login_throttle, sign_in_sessions
from .changes import audited
from .forms import Form, select_choices

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "manager": _l("Unit manager"),
    "inspector": _l("Inspector"),
    "viewer": _l("Viewer (read only)"),
}
NO_UNIT = 0


def password_fields():
    """A new password and its confirmation, for creating an account and for a reset."""
    password = PasswordField(
        _l("Password"),
        validators=[validate_password],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def email_field() -> StringField:
    return StringField(
        _l("E-mail for alerts"),
        validators=[rule_validator(clean_email)],
        description=_l("An inspector is told of every new case here. Optional."),
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )


def rule_validator(check):
    """A WTForms validator from one of ``users``' rules, so the form and the CLI refuse alike."""

    def validate(form, field):
        try:
            check(field.data or "")
        except UserRefused as refused:
            raise ValidationError(str(refused.message)) from None

    return validate


def validate_password(form, field):
    """``users.check_password`` with the account's name: the form's own field, or ``form.for_username`` on a reset."""
    username = form.username.data if "username" in form else getattr(form, "for_username", "")
    rule_validator(lambda password: check_password(password, username or ""))(form, field)


def password_snapshot(user: User) -> dict:
    # A fingerprint of the hash tells the old password from the new one; the
    # hash itself stays out of the log.
    return {"username": user.username, "password": hashlib.sha256(user.password_hash.encode()).hexdigest()[:8]}


class UserForm(Form):
    username = StringField(
        _l("User name"),
        validators=[DataRequired(_l("Enter a user name.")), rule_validator(lambda name: check_username(name.strip()))],
    )
    role = SelectField(_l("Role"), choices=select_choices((role, ROLE_LABELS[role]) for role in ROLES))
    unit_id = SelectField(
        _l("Unit"),
        coerce=int,
        description=_l("A manager or inspector sees this unit and the units below it."),
    )
    email = email_field()
    password, confirm = password_fields()

    def validate_unit_id(self, field):
        try:
            check_role(self.role.data, field.data or None)
        except UserRefused as refused:
            raise ValidationError(str(refused.message)) from None


class PasswordForm(Form):
    password, confirm = password_fields()


class EmailForm(Form):
    email = email_field()


@bp.get("/users")
@require_role("admin")
def users():
    rows = db.session.scalars(select(User).options(joinedload(User.unit)).order_by(User.username)).all()
    return render_template(
        "console/users.html", users=rows, role_labels=ROLE_LABELS, locked=login_throttle.locked_accounts(),
        fold=login_throttle.fold,
    )


@bp.route("/users/new", methods=("GET", "POST"))
@require_role("admin")
def user_new():
    form = UserForm()
    form.unit_id.choices = select_choices([(NO_UNIT, gettext("(none: the whole province)")), *unit_choices(None)])
    if form.validate_on_submit():
        write_transaction()
        try:
            user = create_user(
                form.username.data, form.password.data, form.role.data, form.unit_id.data or None,
                email=form.email.data,
            )
        except UserRefused as refused:
            db.session.rollback()
            getattr(form, refused.field).errors.append(str(refused.message))
        else:
            db.session.commit()
            flash(gettext("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("console.users"))
    return render_template("console/user_new.html", form=form)


@bp.get("/users/<int:user_id>")
@require_role("admin")
def user(user_id: int):
    user = db.get_or_404(User, user_id)
    return render_user(user, PasswordForm(formdata=None))


def render_user(user: User, form: PasswordForm | None = None, email_form: EmailForm | None = None) -> str:
    return render_template(
        "console/user.html", user=user, form=form or PasswordForm(formdata=None),
        email_form=email_form or EmailForm(formdata=None, email=user.email), role_labels=ROLE_LABELS,
        counters=login_throttle.account_counters(user.username),
        open_sessions=len(sign_in_sessions.open_sessions(user.id)),
    )


@bp.post("/users/<int:user_id>/email")
@require_role("admin")
def user_email(user_id: int):
    """Set or clear the address the account's alerts go to."""
    user = db.get_or_404(User, user_id)
    form = EmailForm()
    if not form.validate_on_submit():
        return render_user(user, email_form=form), 400
    with audited("update", "user", user, snapshot):
        user.email = clean_email(form.email.data)
    flash(gettext("Alerts for %(name)s go to: %(email)s.", name=user.username, email=user.email or "—"), "success")
    return redirect(url_for("console.user", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
@require_role("admin")
def user_password(user_id: int):
    """Give the account a new password; this lifts its sign-in locks and ends its open sessions."""
    user = db.get_or_404(User, user_id)
    form = PasswordForm()
    form.for_username = user.username
    if not form.validate_on_submit():
        return render_user(user, form)
    with audited("reset_password", "user", user, password_snapshot):
        user.password_hash = hash_password(form.password.data)
        login_throttle.clear(user.username)
        sign_in_sessions.end_all(user.id)
    flash(gettext("New password set for %(name)s.", name=user.username), "success")
    return redirect(url_for("console.user", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@require_role("admin")
def user_active(user_id: int):
    """Deactivate an active account (signed out at once) or reactivate an inactive one."""
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash(gettext("You cannot deactivate your own account."), "error")
        return redirect(url_for("console.user", user_id=user.id))
    with audited("update", "user", user, snapshot):
        user.active = not user.active
        # Reactivating must not bring back a session opened before.
        sign_in_sessions.end_all(user.id)
    if user.active:
        flash(gettext("Account %(name)s reactivated.", name=user.username), "success")
    else:
        flash(gettext("Account %(name)s deactivated.", name=user.username), "success")
    return redirect(url_for("console.user", user_id=user.id))


@bp.post("/users/<int:user_id>/unlock")
@require_role("admin")
def user_unlock(user_id: int):
    """Lift every sign-in pause on the account and forget its failures (the owner is locked out by an attack)."""
    user = db.get_or_404(User, user_id)
    cleared = login_throttle.unlock(user.id, user.username)
    db.session.commit()
    if cleared:
        flash(gettext("Signing in is open again for %(name)s.", name=user.username), "success")
    else:
        flash(gettext("%(name)s had no failed sign-ins to clear.", name=user.username), "info")
    return redirect(url_for("console.user", user_id=user.id))


@bp.post("/users/<int:user_id>/sessions/end")
@require_role("admin")
def user_end_sessions(user_id: int):
    """Sign the account out of every browser (a lost phone, a shared computer), keeping the password."""
    user = db.get_or_404(User, user_id)
    write_transaction()
    # An administrator ending their own sessions keeps the one they are using.
    ended = sign_in_sessions.end_all(user.id, keep=sign_in_sessions.current_id())
    if ended:
        audit.record("end_sessions", "user", user.id, {"open_sessions": ended}, {"open_sessions": 0})
    db.session.commit()
    flash(gettext("%(n)d sessions of %(name)s ended.", n=ended, name=user.username), "success")
    return redirect(url_for("console.user", user_id=user.id))
