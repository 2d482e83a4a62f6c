"""Console accounts: the rules for a user name, a password and a role, and making an account.

The console's "New account" page and ``flask --app admin create-user`` both
make accounts with ``create_user``, so both refuse the same things with the
same sentence; each shows it its own way (beside the field, or on standard
error in both languages).
"""
from __future__ import annotations

import re
from functools import partial

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from . import audit
from .access import UNIT_BOUND
from .db import db
from .models import ROLES, Unit, User
from .refused import Refused

USERNAME_MAX = 80
# Letters without accents, digits and . _ @ -: a name typed the same on every keyboard.
USERNAME = re.compile(r"[A-Za-z0-9._@-]+")
PASSWORD_MIN = 10
# "aaaaaaaaaa" and "1212121212" are ten characters long and guessed at once.
PASSWORD_MIN_DISTINCT = 5
# The commonest passwords of the allowed length (as lists of leaked passwords rank them,
# and their Vietnamese counterparts), compared without case.
COMMON_PASSWORDS = frozenset({
    "1234567890", "0123456789", "0987654321", "12345678910", "123456789a", "1234567890a", "a123456789",
    "qwertyuiop", "asdfghjkl;", "1qaz2wsx3edc", "qwerty12345", "qwerty123456",
    "password123", "password1234", "passw0rd123", "iloveyou123", "abcd123456", "abc1234567",
    "matkhau123", "matkhau1234", "matkhau12345", "admin12345", "admin123456", "administrator",
    "anhyeuem123", "hailong2026", "hailong123456",
})
PASSWORD_MAX = 200
EMAIL_MAX = 254
# One @, no spaces, a dot in the domain: enough to catch a typo. Line breaks are
# spaces here, so an address cannot smuggle a header into an alert.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

snapshot = partial(audit.snapshot, fields=("username", "role", "unit_id", "active", "email"))


class UserRefused(Refused):
    """An account that may not be made as asked; ``field`` names what to change."""


def hash_password(password: str, method: str | None = None) -> str:
    """The stored form of a console password, salted: by ``method``, else the app's ``PASSWORD_HASH_METHOD``."""
    return generate_password_hash(password, method=method or current_app.config["PASSWORD_HASH_METHOD"])


def check_username(username: str) -> None:
    """Refuse a user name that breaks the name rule (``UserRefused`` on ``username``)."""
    if not username or len(username) > USERNAME_MAX:
        raise UserRefused("username", _l("A user name has 1 to %(max)d characters.", max=USERNAME_MAX))
    if not USERNAME.fullmatch(username):
        raise UserRefused("username", _l("Use letters without accents, digits, and . _ @ - only."))


def check_password(password: str, username: str = "") -> None:
    """Refuse a password that is too short or too long, or easy to guess (``UserRefused`` on ``password``).

    Easy to guess: fewer than ``PASSWORD_MIN_DISTINCT`` different characters
    ("aaaaaaaaaa", "abababababab"), one of the commonest passwords, or one
    that holds the account's own name.
    """
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise UserRefused(
            "password",
            _l("A password has %(min)d to %(max)d characters.", min=PASSWORD_MIN, max=PASSWORD_MAX),
        )
    folded = password.casefold()
    if len(set(folded)) < PASSWORD_MIN_DISTINCT:
        raise UserRefused("password", _l("A password needs at least %(n)d different characters.", n=PASSWORD_MIN_DISTINCT))
    if folded in COMMON_PASSWORDS:
        raise UserRefused("password", _l("This password is among the first any attacker tries."))
    name = username.strip().casefold()
    if len(name) >= 3 and name in folded:
        raise UserRefused("password", _l("A password must not contain the user name."))


def clean_email(email: str | None) -> str | None:
    """The address alerts go to, without spaces around it, or None for none; ``UserRefused`` on ``email``."""
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > EMAIL_MAX or not EMAIL.fullmatch(email):
        raise UserRefused("email", _l("Enter an e-mail address such as name@example.gov.vn, or leave it empty."))
    return email


def check_role(role: str, unit_id: int | None) -> None:
    """Refuse a role that does not exist, or a unit that does not fit the role."""
    if role not in ROLES:
        raise UserRefused("role", _l("Choose one of the roles."))
    if role in UNIT_BOUND and unit_id is None:
        raise UserRefused("unit_id", _l("A manager or an inspector needs a unit."))
    if role == "admin" and unit_id is not None:
        raise UserRefused("unit_id", _l("An administrator sees every unit: choose no unit."))
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise UserRefused("unit_id", _l("There is no unit %(id)d.", id=unit_id))


def create_user(
    username: str, password: str, role: str, unit_id: int | None, actor: str | None = None, email: str | None = None
) -> User:
    """Add an account and its audit entry to the session, or raise ``UserRefused``; the caller commits.

    ``username`` is taken as typed, without the spaces around it. ``email``
    is where the account's alerts go (an inspector's new cases), if anywhere.
    """
    username = username.strip()
    check_username(username)
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise UserRefused("username", _l("This user name is taken."))
    check_role(role, unit_id)
    check_password(password, username)
    user = User(
        username=username, password_hash=hash_password(password), role=role, unit_id=unit_id, active=True,
        email=clean_email(email),
    )
    try:
        # A savepoint: the same name saved by someone else a moment ago fails only this insert.
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise UserRefused("username", _l("This user name is taken.")) from None
    audit.record("create", "user", user.id, None, snapshot(user), actor=actor)
    return user
