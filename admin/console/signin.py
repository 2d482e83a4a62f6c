"""Signing in to the console, and the protections every console page gets.

Flask-Login keeps the session; passwords are werkzeug scrypt hashes; every
form carries a CSRF token (the kiosk API is exempt: kiosks send a bearer
token, not a cookie); repeated failures lock a user name or an address for a
while (``login_throttle``); console responses carry strict security headers.
"""
from __future__ import annotations

import math
from functools import cache

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..db import db
from ..i18n import safe_next
from ..models import User
from ..users import hash_password
from . import login_throttle
from .forms import Form

login_manager = LoginManager()
csrf = CSRFProtect()
bp = Blueprint("auth", __name__)

# 'self' only: no CDN, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

WRONG_CREDENTIALS = _l("Wrong user name or password.")


@cache
def _decoy_hash() -> str:
    # Checked when the user name is unknown, so that a wrong name takes as
    # long as a wrong password and timing does not reveal who has an account.
    return hash_password("not a password anyone has")


def locked_message() -> str:
    """The one message for a locked sign-in, whether or not the user exists."""
    minutes = math.ceil(current_app.config["LOGIN_LOCK_S"] / 60)
    return gettext(
        "Too many failed sign-ins. Signing in is paused for %(minutes)d minutes; "
        "wait and try again, or ask an administrator.",
        minutes=minutes,
    )


def authenticate(username: str, password: str, address: str | None) -> tuple[User | None, str | None]:
    """The user these credentials sign in, or None with the message to show.

    Every attempt is counted against the user name and the address before
    the password is looked at, and a locked one is refused unchecked; a
    success clears the user's counter and is not held against the address.
    """
    config = current_app.config
    keys = (login_throttle.user_key(username), login_throttle.address_key(address))
    number = login_throttle.take_attempt(
        keys, config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_S"], config["LOGIN_LOCK_S"]
    )
    if number is None:
        return None, locked_message()
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
    password_ok = check_password_hash(user.password_hash if user else _decoy_hash(), password)
    if user is None or not password_ok or not user.active:
        return None, locked_message() if number >= config["LOGIN_MAX_FAILURES"] else str(WRONG_CREDENTIALS)
    login_throttle.succeeded(keys[0], keys[1], config["LOGIN_MAX_FAILURES"])
    db.session.commit()
    return user, None


class LoginForm(Form):
    username = StringField(
        _l("User name"),
        validators=[DataRequired(_l("Enter your user name.")), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


@bp.route("/login", methods=("GET", "POST"))
def login():
    """The sign-in page."""
    target = safe_next(request.values.get("next"), url_for("console.dashboard"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user, error = authenticate(form.username.data, form.password.data, request.remote_addr)
        if user is not None:
            login_user(user)
            return redirect(target)
    return render_template("auth/login.html", form=form, error=error, next=target)


@bp.post("/logout")
def logout():
    """Sign out (a POST with a CSRF token, so another site cannot sign a person out)."""
    logout_user()
    return redirect(url_for("auth.login"))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # A deactivated account, or one whose password was changed since this
    # session began, is signed out at its next request.
    user_id, _, fingerprint = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or fingerprint != user.session_fingerprint():
        return None
    return user


def add_security_headers(response):
    """Strict headers on every console page; the JSON API is left as its owner sets it."""
    if not request.path.startswith("/api/"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith("/static/"):
            # Pages show personal data: keep them out of shared caches and the back button.
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    app.register_blueprint(bp)
    app.after_request(add_security_headers)
