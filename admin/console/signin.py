"""Signing in to the console, and the protections every console page gets.

Flask-Login keeps the signed-in user, whose session lives on the server
(``sign_in_sessions``: signing out ends every copy of the cookie); passwords
are werkzeug scrypt hashes; every form carries a CSRF token (the kiosk API is
exempt: kiosks send a bearer token, not a cookie); repeated failures pause
sign-ins in ways an attacker cannot aim at the owner's own browser
(``login_throttle``, ``device_cookies``); console responses carry strict
security headers. A signed-in person sees and ends their own sessions here.
"""
from __future__ import annotations

import math
from functools import cache

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..db import db, write_transaction
from ..i18n import safe_next
from ..models import SignInSession, User
from ..users import hash_password
from . import device_cookies, login_throttle, sign_in_sessions
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
def _decoy_hash(method: str) -> str:
    # Checked when the user name is unknown, so that a wrong name takes as
    # long as a wrong password and timing does not reveal who has an account:
    # made with the method, and so the cost, of the passwords stored now.
    return hash_password("not a password anyone has", method)


def locked_message() -> str:
    """The one message for a locked sign-in, whether or not the user exists."""
    minutes = math.ceil(current_app.config["LOGIN_LOCK_S"] / 60)
    return gettext(
        "Too many failed sign-ins. Signing in is paused for %(minutes)d minutes; "
        "wait and try again, or ask an administrator.",
        minutes=minutes,
    )


def attempt_limits(username: str, address: str | None, device: str | None, account: str | None):
    """The counters an attempt is held against, and those a success forgets (see ``login_throttle``).

    With a device cookie for the name typed: that browser's counter alone.
    Otherwise the pair (account, address), the account for new browsers, and
    the address. ``account`` is the existing account's name for the audit
    log, None for a name no account has (it may be a password typed in the
    wrong field, so it is not written down).
    """
    config = current_app.config
    Limit = login_throttle.Limit
    if device is not None:
        own = Limit(login_throttle.device_key(username, device), config["LOGIN_MAX_FAILURES"],
                    {"account": account, "address": address, "device": True})
        return [own], [own.key], []
    pair = Limit(login_throttle.pair_key(username, address), config["LOGIN_MAX_FAILURES"],
                 {"account": account, "address": address})
    shared = [
        Limit(login_throttle.account_key(username), config["LOGIN_ACCOUNT_MAX_FAILURES"],
              {"account": account, "address": None}),
        Limit(login_throttle.address_key(address), config["LOGIN_ADDRESS_MAX_FAILURES"],
              {"account": None, "address": address}),
    ]
    return [pair, *shared], [pair.key], shared


def authenticate(
    username: str, password: str, address: str | None, device: str | None = None
) -> tuple[User | None, str | None]:
    """The user these credentials sign in, or None with the message to show.

    ``device`` is the nonce of the browser's device cookie for this name.
    Every attempt is counted before the password is looked at, and one that
    meets a lock is refused unchecked; a success forgets its own counters and
    takes its attempt back from the shared ones.
    """
    config = current_app.config
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
    limits, forget, uncount = attempt_limits(username, address, device, user.username if user else None)
    locks = login_throttle.take_attempt(limits, config["LOGIN_WINDOW_S"], config["LOGIN_LOCK_S"])
    if locks is None:
        return None, locked_message()
    password_ok = check_password_hash(
        user.password_hash if user else _decoy_hash(config["PASSWORD_HASH_METHOD"]), password
    )
    if user is None or not password_ok or not user.active:
        login_throttle.record_locks(locks)
        return None, locked_message() if locks else str(WRONG_CREDENTIALS)
    login_throttle.succeeded(forget, uncount)
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
        device = device_cookies.nonce_for(form.username.data)
        user, error = authenticate(form.username.data, form.password.data, request.remote_addr, device)
        if user is not None:
            token = sign_in_sessions.start(user, request.remote_addr, request.user_agent.string)
            login_user(user)
            # What the user loader is given back on every request: the
            # session's token, not the user's id, so that ending the session
            # on the server ends this cookie and every copy of it.
            session["_user_id"] = token
            response = redirect(target)
            device_cookies.remember(response, user.username)
            return response
    return render_template("auth/login.html", form=form, error=error, next=target)


@bp.post("/logout")
def logout():
    """Sign out (a POST with a CSRF token, so another site cannot sign a person out), ending the session on the server."""
    token = session.get("_user_id")
    if isinstance(token, str):
        sign_in_sessions.end(token)
    logout_user()
    return redirect(url_for("auth.login"))


@login_manager.user_loader
def load_user(token: str) -> User | None:
    # Ended, idle or too old sessions and deactivated accounts are signed out at their next request.
    return sign_in_sessions.load(token) if isinstance(token, str) else None


@bp.get("/account/sessions")
@login_required
def my_sessions():
    """The signed-in person's open sessions (browser, address, since, last used), to end the ones not theirs."""
    return render_template(
        "console/user_sessions.html",
        sessions=sign_in_sessions.open_sessions(current_user.id),
        current_id=sign_in_sessions.current_id(),
    )


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_my_session(session_id: int):
    """End one of the person's own sessions (any role may: it changes only their own sign-ins)."""
    row = db.session.get(SignInSession, session_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    write_transaction()
    sign_in_sessions.end_one(row.id)
    db.session.commit()
    flash(gettext("The session was ended."), "success")
    return redirect(url_for("auth.my_sessions"))


@bp.post("/account/sessions/end-others")
@login_required
def end_my_other_sessions():
    """End every session of the person but this one (after a lost phone, a shared computer)."""
    write_transaction()
    ended = sign_in_sessions.end_all(current_user.id, keep=sign_in_sessions.current_id())
    db.session.commit()
    flash(gettext("%(n)d other sessions ended.", n=ended), "success")
    return redirect(url_for("auth.my_sessions"))


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
